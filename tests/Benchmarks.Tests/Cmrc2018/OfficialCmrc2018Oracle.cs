using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Tests.Cmrc2018;

/// <summary>
/// The official CMRC 2018 scorer (ymcui/cmrc2018 <c>baseline/cmrc2018_evaluate.py</c>, v6) written out again from its
/// rules, as literally as C# allows, to check the production scorer against: its own character loop, its own
/// full-matrix <c>find_lcs</c>, NLTK's Treebank patterns copied as written in Python (<c>\w \s \b</c> translated to
/// Python's meaning by <see cref="Py"/>) and a plain reading of Punkt's decision with an empty model (a word ending in
/// <c>. ? !</c> ends a sentence, except an ellipsis, and an initial or number followed by a lower-case word or by
/// <c>; : , . ! ?</c>). It calls nothing of the production scorer.
/// </summary>
public static class OfficialCmrc2018Oracle
{
    private static readonly List<string> SpChar =
    [
        "-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
        "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·", "、",
        "「", "」", "（", "）", "－", "～", "『", "』",
    ];

    /// <summary>The script's <c>evaluate</c>: (F1, EM, TOTAL, SKIP), scores ×100 over every question.</summary>
    public static (double F1, double Em, int Total, int Skip) Evaluate(IEnumerable<Cmrc2018Case> cases)
    {
        double f1 = 0, em = 0;
        int totalCount = 0, skipCount = 0;
        foreach (var c in cases)
        {
            totalCount += 1;
            if (c.Prediction is null)
            {
                skipCount += 1;
                continue;
            }
            f1 += CalcF1Score(c.References, c.Prediction);
            em += CalcEmScore(c.References, c.Prediction);
        }
        return (100.0 * f1 / totalCount, 100.0 * em / totalCount, totalCount, skipCount);
    }

    public static double CalcF1Score(IReadOnlyList<string> answers, string prediction)
    {
        var f1Scores = new List<double>();
        foreach (var ans in answers)
        {
            var ansSegs = MixedSegmentation(ans, rmPunc: true);
            var predictionSegs = MixedSegmentation(prediction, rmPunc: true);
            var lcsLen = FindLcs(ansSegs, predictionSegs);
            if (lcsLen == 0)
            {
                f1Scores.Add(0);
                continue;
            }
            var precision = 1.0 * lcsLen / predictionSegs.Count;
            var recall = 1.0 * lcsLen / ansSegs.Count;
            f1Scores.Add(2 * precision * recall / (precision + recall));
        }
        return f1Scores.Max();
    }

    public static double CalcEmScore(IReadOnlyList<string> answers, string prediction)
    {
        foreach (var ans in answers)
            if (RemovePunctuation(ans) == RemovePunctuation(prediction)) return 1;
        return 0;
    }

    public static List<string> MixedSegmentation(string inStr, bool rmPunc)
    {
        inStr = Strip(Lower(inStr));
        var segsOut = new List<string>();
        var tempStr = "";
        foreach (var ch in Chars(inStr))
        {
            if (rmPunc && SpChar.Contains(ch)) continue;
            if (Regex.IsMatch(ch, "[\u4e00-\u9fa5]") || SpChar.Contains(ch))
            {
                if (tempStr != "")
                {
                    segsOut.AddRange(WordTokenize(tempStr));
                    tempStr = "";
                }
                segsOut.Add(ch);
            }
            else tempStr += ch;
        }
        if (tempStr != "") segsOut.AddRange(WordTokenize(tempStr));
        return segsOut;
    }

    public static string RemovePunctuation(string inStr)
    {
        inStr = Strip(Lower(inStr));
        var outSegs = new StringBuilder();
        foreach (var ch in Chars(inStr))
            if (!SpChar.Contains(ch)) outSegs.Append(ch);
        return outSegs.ToString();
    }

    public static int FindLcs(List<string> s1, List<string> s2)
    {
        var m = new int[s1.Count + 1, s2.Count + 1];
        var mmax = 0;
        for (var i = 0; i < s1.Count; i++)
            for (var j = 0; j < s2.Count; j++)
                if (s1[i] == s2[j])
                {
                    m[i + 1, j + 1] = m[i, j] + 1;
                    if (m[i + 1, j + 1] > mmax) mmax = m[i + 1, j + 1];
                }
        return mmax;
    }

    // ---- NLTK word_tokenize ----

    private static readonly (string Pattern, string Replacement)[] StartingQuotes =
    [
        ("([«“‘„]|[`]+)", @" \1 "),
        (@"^\""", @"``"),
        (@"(``)", @" \1 "),
        (@"([ \(\[{<])(\""|\'{2})", @"\1 `` "),
        (@"(?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b", @"\1 \2"),
    ];

    private static readonly (string Pattern, string Replacement)[] Punctuation =
    [
        (@"([^\.])(\.)([\]\)}>""\'" + "»”’ " + @"]*)\s*$", @"\1 \2 \3 "),
        (@"([:,])([^\d])", @" \1 \2"),
        (@"([:,])$", @" \1 "),
        (@"\.{2,}", @" \g<0> "),
        (@"[;@#$%&]", @" \g<0> "),
        (@"([^\.])(\.)([\]\)}>""\']*)\s*$", @"\1 \2\3 "),
        (@"[?!]", @" \g<0> "),
        (@"([^'])' ", @"\1 ' "),
        (@"[*]", @" \g<0> "),
    ];

    private static readonly (string Pattern, string Replacement) ParensBrackets = (@"[\]\[\(\)\{\}\<\>]", @" \g<0> ");
    private static readonly (string Pattern, string Replacement) DoubleDashes = (@"--", @" -- ");

    private static readonly (string Pattern, string Replacement)[] EndingQuotes =
    [
        ("([»”’])", @" \1 "),
        (@"''", " '' "),
        (@"""", " '' "),
        (@"([^' ])('[sS]|'[mM]|'[dD]|') ", @"\1 \2 "),
        (@"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", @"\1 \2 "),
    ];

    private static readonly string[] Contractions =
    [
        @"(?i)\b(can)(?#X)(not)\b", @"(?i)\b(d)(?#X)('ye)\b", @"(?i)\b(gim)(?#X)(me)\b", @"(?i)\b(gon)(?#X)(na)\b",
        @"(?i)\b(got)(?#X)(ta)\b", @"(?i)\b(lem)(?#X)(me)\b", @"(?i)\b(more)(?#X)('n)\b", @"(?i)\b(wan)(?#X)(na)(?=\s)",
        @"(?i) ('t)(?#X)(is)\b", @"(?i) ('t)(?#X)(was)\b",
    ];

    public static List<string> WordTokenize(string text) => SentTokenize(text).SelectMany(TreebankTokenize).ToList();

    public static List<string> TreebankTokenize(string text)
    {
        foreach (var (p, r) in StartingQuotes) text = Sub(p, r, text);
        foreach (var (p, r) in Punctuation) text = Sub(p, r, text);
        text = Sub(ParensBrackets.Pattern, ParensBrackets.Replacement, text);
        text = Sub(DoubleDashes.Pattern, DoubleDashes.Replacement, text);
        text = " " + text + " ";
        foreach (var (p, r) in EndingQuotes) text = Sub(p, r, text);
        foreach (var p in Contractions) text = Sub(p, @" \1 \2 ", text);
        return Split(text);
    }

    public static List<string> SentTokenize(string text)
    {
        var words = new List<(int Start, int End)>();
        for (var i = 0; i < text.Length;)
        {
            if (IsSpace(text[i])) { i++; continue; }
            var start = i;
            while (i < text.Length && !IsSpace(text[i])) i++;
            words.Add((start, i));
        }
        var sentences = new List<string>();
        var from = 0;
        for (var w = 0; w + 1 < words.Count; w++)
        {
            if (!EndsSentence(text[words[w].Start..words[w].End], text[words[w + 1].Start..words[w + 1].End])) continue;
            sentences.Add(text[from..words[w].End]);
            from = words[w + 1].Start;
        }
        var end = text.Length;
        while (end > 0 && IsSpace(text[end - 1])) end--;
        if (end > from) sentences.Add(text[from..end]);
        return sentences;
    }

    private static bool EndsSentence(string word, string next)
    {
        var core = word.TrimEnd('"', '\'', ')', ']', '}');
        if (core.EndsWith('?') || core.EndsWith('!')) return true;
        if (!core.EndsWith('.') || core.EndsWith("..", StringComparison.Ordinal)) return false;
        var initial = core.Length == 2 && char.IsLetter(core[0]);
        var number = Regex.IsMatch(core, @"^-?[\.,]?\d[\d,\.-]*\.?$");
        if (!initial && !number) return true;
        if (char.IsLower(next[0]) || ";:,.!?".Contains(next[0])) return false;
        return !(initial && char.IsUpper(next[0]));
    }

    /// <summary>Python <c>re.sub</c> with a Python pattern and replacement.</summary>
    private static string Sub(string pattern, string replacement, string text)
    {
        var dotnetReplacement = Regex.Replace(replacement, @"\\g<0>|\\(\d)", m => m.Value == @"\g<0>" ? "$0" : "${" + m.Groups[1].Value + "}");
        return Regex.Replace(text, Py(pattern), dotnetReplacement);
    }

    /// <summary>Python 3's meaning of <c>\w \s \b</c> (Unicode str patterns) in .NET syntax.</summary>
    private static string Py(string pattern)
    {
        const string w = @"[\p{L}\p{N}_]";
        return pattern.Replace(@"\b", $"(?:(?<={w})(?!{w})|(?<!{w})(?={w}))", StringComparison.Ordinal)
            .Replace(@"\w", w, StringComparison.Ordinal)
            .Replace(@"\s", @"[\s\x1c-\x1f]", StringComparison.Ordinal);
    }

    private static List<string> Split(string text)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (IsSpace(c))
            {
                if (current.Length > 0) result.Add(current.ToString());
                current.Clear();
            }
            else current.Append(c);
        }
        if (current.Length > 0) result.Add(current.ToString());
        return result;
    }

    private static bool IsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    private static string Strip(string s)
    {
        var start = 0;
        var end = s.Length;
        while (start < end && IsSpace(s[start])) start++;
        while (end > start && IsSpace(s[end - 1])) end--;
        return s.Substring(start, end - start);
    }

    private static string Lower(string s)
    {
        var result = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == 'İ') result.Append("i\u0307");
            else if (c == 'Σ') result.Append(i > 0 && char.IsLetter(s[i - 1]) && (i + 1 == s.Length || !char.IsLetter(s[i + 1])) ? 'ς' : 'σ');
            else result.Append(char.ToLowerInvariant(c));
        }
        return result.ToString();
    }

    private static IEnumerable<string> Chars(string s)
    {
        for (var i = 0; i < s.Length; i++)
            yield return char.IsHighSurrogate(s[i]) && i + 1 < s.Length ? s.Substring(i++, 2) : s[i].ToString();
    }
}
