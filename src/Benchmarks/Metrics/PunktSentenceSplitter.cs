using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Metrics;

/// <summary>
/// The sentence split inside NLTK's <c>word_tokenize</c>: <c>PunktSentenceTokenizer.tokenize(text)</c> as NLTK 3.8.1
/// runs it (nltk/nltk, <c>nltk/tokenize/punkt.py</c>; re-implemented, not copied), with realigned boundaries:
/// <list type="number">
/// <item>candidates: each <c>. ? !</c> followed by another punctuation mark <c>) " ; } ] * : @ ' ( { [ ! ?</c> or by
/// white space and a token; overlapping candidates keep the last;</item>
/// <item>each candidate's context (the word before, the mark, what follows) is cut into Punkt's word tokens and
/// annotated: <c>? !</c> alone, or a word ending in one period, is a break; a run of periods is an ellipsis. The
/// second pass takes the break back after an initial (one letter and a period) or a number when Punkt's orthographic
/// heuristic says the next token cannot start a sentence (it is lower-case, or <c>; : , . ! ?</c>);</item>
/// <item>a closing <c>" ' ) ] }</c> right after a break moves to the sentence before.</item>
/// </list>
/// <b>The one known difference</b>: <c>word_tokenize</c> loads Punkt's trained English model (abbreviations such as
/// "dr", "u.s", "e.g", collocations, frequent sentence starters, orthographic statistics), which NLTK ships as data,
/// not code; this splitter runs Punkt's algorithm with empty parameters, as <c>PunktSentenceTokenizer()</c> untrained
/// does. So "dr. smith" splits here after "dr." and not in NLTK. CMRC answers are lower-cased before they get here,
/// which leaves the trained ortho statistics little to decide (a lower-case next word already blocks a break after an
/// initial or a number in both).
/// </summary>
public static partial class PunktSentenceSplitter
{
    private const string NonWord = @"(?:[)"";}\]*:@'({\[!?])";
    private const string MultiChar = @"(?:-{2,}|\.{2,}|(?:\." + NltkWordTokenizer.PySpace + "){2,}\\.)";
    private const string Space = NltkWordTokenizer.PySpace;
    private const string NotSpace = NltkWordTokenizer.PyNotSpace;

    private static readonly Regex PeriodContext = new(
        "[.?!](?=(?<after>" + NonWord + "|" + Space + "+(?<next>" + NotSpace + "+)))");

    // .NET's "$" without Multiline is Python's: the end, or just before a final newline.
    private static readonly Regex WordTokens = new(
        "(" + MultiChar + "|(?=[^(\"`{\\[:;&#*@)}\\]\\-,])" + NotSpace + "+?(?=" + Space + "|$|" + NonWord + "|" + MultiChar
        + "|,(?=$|" + Space + "|" + NonWord + "|" + MultiChar + "))|" + NotSpace + ")");

    private static readonly Regex BoundaryRealignment = new("[\"')\\]}]+?(?:" + Space + "+|(?=--)|$)", RegexOptions.Multiline);

    [GeneratedRegex(@"^-?[.,]?\d[\d,.\-]*\.?$")] private static partial Regex Numeric();
    [GeneratedRegex(@"^[\p{L}\p{Nl}\p{No}_]\.$")] private static partial Regex Initial();
    [GeneratedRegex(@"^\.\.+$")] private static partial Regex Ellipsis();

    /// <summary>The sentences of <paramref name="text"/>, as <c>sent_tokenize(text)</c> with an untrained model.</summary>
    public static List<string> Split(string text)
    {
        var sentences = new List<string>();
        // A slice whose ends crossed is an empty sentence in Python, which gives no tokens: left out.
        foreach (var (start, end) in Realign(text, Slices(text).ToList()))
            if (end > start) sentences.Add(text[start..end]);
        return sentences;
    }

    private static IEnumerable<(int Start, int End)> Slices(string text)
    {
        var lastBreak = 0;
        foreach (var (match, context) in PotentialEndContexts(text))
        {
            if (!ContainsSentenceBreak(context)) continue;
            yield return (lastBreak, match.Index + match.Length);
            lastBreak = match.Groups["next"].Success ? match.Groups["next"].Index : match.Index + match.Length;
        }
        // The last sentence ends before trailing white space.
        yield return (lastBreak, RightStrippedLength(text));
    }

    private static int RightStrippedLength(string text)
    {
        var end = text.Length;
        while (end > 0 && NltkWordTokenizer.IsPythonSpace(text[end - 1])) end--;
        return end;
    }

    // Each candidate with the word before it; a candidate whose word overlaps the previous candidate's replaces it.
    private static IEnumerable<(Match Match, string Context)> PotentialEndContexts(string text)
    {
        (int Start, int End) previousSlice = (0, 0);
        Match? previous = null;
        foreach (Match match in PeriodContext.Matches(text))
        {
            var before = text[previousSlice.End..match.Index];
            var lastSpace = LastAsciiSpace(before);
            var wordStart = lastSpace != 0 ? lastSpace + previousSlice.End + 1 : previousSlice.Start;
            if (previous is not null && previousSlice.End <= wordStart)
                yield return (previous, Context(previous, previousSlice));
            previous = match;
            previousSlice = (wordStart, match.Index);
        }
        if (previous is not null) yield return (previous, Context(previous, previousSlice));

        string Context(Match m, (int Start, int End) word) => text[word.Start..word.End] + m.Value + m.Groups["after"].Value;
    }

    // Python's string.whitespace only (ASCII); 0 when there is none, as NLTK's helper returns (index 0 included).
    private static int LastAsciiSpace(string text)
    {
        for (var i = text.Length - 1; i >= 0; i--)
            if (text[i] is ' ' or '\t' or '\n' or '\r' or '\x0b' or '\x0c') return i;
        return 0;
    }

    private sealed class Token(string text)
    {
        public string Text { get; } = text;
        public string Type { get; } = Numeric().IsMatch(NltkWordTokenizer.PythonLower(text)) ? "##number##" : NltkWordTokenizer.PythonLower(text);
        public bool PeriodFinal => Text.EndsWith('.');
        public bool SentenceBreak { get; set; }
        public bool Abbreviation { get; set; }
        public bool IsEllipsis { get; set; }

        public string TypeNoPeriod => Type.Length > 1 && Type[^1] == '.' ? Type[..^1] : Type;
        public bool IsInitial => Initial().IsMatch(Text);
        public bool FirstUpper => char.IsUpper(Text, 0);
        public bool FirstLower => char.IsLower(Text, 0);
    }

    private static bool ContainsSentenceBreak(string context)
    {
        var tokens = new List<Token>();
        foreach (var line in context.Split('\n'))
            if (NltkWordTokenizer.PythonStrip(line).Length > 0)
                tokens.AddRange(WordTokens.Matches(line).Select(m => new Token(m.Value)));
        foreach (var token in tokens) FirstPass(token);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (i + 1 < tokens.Count) SecondPass(tokens[i], tokens[i + 1]);
            // A break counts only when another token follows it.
            if (tokens[i].SentenceBreak && i + 1 < tokens.Count) return true;
        }
        return false;
    }

    private static void FirstPass(Token token)
    {
        if (token.Text is "." or "?" or "!") token.SentenceBreak = true;
        else if (Ellipsis().IsMatch(token.Text)) token.IsEllipsis = true;
        // With no trained abbreviations, every other period-final word is a break.
        else if (token.PeriodFinal && !token.Text.EndsWith("..", StringComparison.Ordinal)) token.SentenceBreak = true;
    }

    private static void SecondPass(Token token, Token next)
    {
        if (!token.PeriodFinal) return;
        var initial = token.IsInitial;
        // No collocations, abbreviations or sentence starters without a trained model; the ortho heuristic is never
        // "true" with empty statistics, so an abbreviation or ellipsis never becomes a break here.
        if (!initial && token.TypeNoPeriod != "##number##") return;
        var starter = Ortho(next);
        if (starter == false)
        {
            token.SentenceBreak = false;
            token.Abbreviation = true;
        }
        else if (starter is null && initial && next.FirstUpper)
        {
            token.SentenceBreak = false;
            token.Abbreviation = true;
        }
    }

    // Punkt's orthographic heuristic with empty statistics: false (not a sentence start) for ; : , . ! ? and for a
    // lower-case word; otherwise unknown (null).
    private static bool? Ortho(Token token)
    {
        if (token.Text is ";" or ":" or "," or "." or "!" or "?") return false;
        if (token.FirstLower) return false;
        return null;
    }

    private static IEnumerable<(int Start, int End)> Realign(string text, List<(int Start, int End)> slices)
    {
        var realign = 0;
        for (var i = 0; i < slices.Count; i++)
        {
            var sentence = (Start: slices[i].Start + realign, slices[i].End);
            if (i + 1 == slices.Count)
            {
                if (sentence.End > sentence.Start) yield return sentence;
                continue;
            }
            var nextSentence = slices[i + 1];
            // Python slices past each other are empty; so is this.
            var m = BoundaryRealignment.Match(nextSentence.End > nextSentence.Start ? text[nextSentence.Start..nextSentence.End] : "");
            if (m.Success && m.Index == 0)
            {
                yield return (sentence.Start, nextSentence.Start + RightStrippedLength(m.Value));
                realign = m.Length;
            }
            else
            {
                realign = 0;
                if (sentence.End > sentence.Start) yield return sentence;
            }
        }
    }
}
