using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Metrics;

/// <summary>
/// CMRC 2018's exact match and F1, as its official scorer defines them (ymcui/cmrc2018,
/// <c>squad-style-data/cmrc2018_evaluate.py</c>, v5; re-implemented from its description, not copied):
/// <list type="bullet">
/// <item>Both texts are lower-cased and stripped; "punctuation" is the scorer's fixed list
/// (<c>- : _ * ^ / \ ~ ` + =</c> and <c>，。：？！“”；’《》·、「」（）－～『』</c>). ASCII <c>, . ? !</c> are not in it, and neither is
/// <c>…</c>: the list holds <c>……</c> as one two-character entry, which a single character never equals.</item>
/// <item>EM: 1 when the prediction equals any reference once that punctuation is deleted (spaces are kept).</item>
/// <item>F1 uses "mixed segmentation": every character in U+4E00–U+9FA5 is a token; the text between them is tokenised
/// as English words (NLTK <c>word_tokenize</c> there; see <see cref="EnglishWords"/>); punctuation is dropped without
/// splitting a word. Precision and recall use the length of the longest common <em>substring</em> of the two token
/// sequences (not a bag-of-tokens overlap as in SQuAD). The best F1 over the references counts.</item>
/// <item>Task scores are ×100 and divided by all questions; an unanswered question counts 0.</item>
/// </list>
/// Higher is better for both; both aggregate by mean.
/// </summary>
public static partial class Cmrc2018Scorer
{
    public const string Em = "em";
    public const string F1Name = "f1";

    public static readonly MetricInfo EmInfo = new(Em, Aggregation.Mean, HigherIsBetter: true,
        "CMRC 2018 exact match after deleting the official punctuation list");

    public static readonly MetricInfo F1Info = new(F1Name, Aggregation.Mean, HigherIsBetter: true,
        "CMRC 2018 F1 over mixed-segmentation tokens, longest common substring, best reference");

    private static readonly HashSet<string> Punctuation =
    [
        "-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
        "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·", "、",
        "「", "」", "（", "）", "－", "～", "『", "』",
    ];

    /// <summary>1 when <paramref name="prediction"/> matches any reference after normalisation, else 0.</summary>
    public static double ExactMatch(string prediction, IReadOnlyList<string> references)
    {
        var predicted = RemovePunctuation(prediction);
        return references.Any(r => RemovePunctuation(r) == predicted) ? 1 : 0;
    }

    /// <summary>The best F1 (0–1) of <paramref name="prediction"/> against any reference.</summary>
    public static double F1(string prediction, IReadOnlyList<string> references)
    {
        if (references.Count == 0) throw new ArgumentException("at least one reference answer is needed", nameof(references));
        var predicted = MixedSegmentation(prediction);
        var best = 0.0;
        foreach (var reference in references)
        {
            var gold = MixedSegmentation(reference);
            var common = LongestCommonSubstring(gold, predicted);
            if (common == 0) continue;
            var precision = (double)common / predicted.Count;
            var recall = (double)common / gold.Count;
            best = Math.Max(best, 2 * precision * recall / (precision + recall));
        }
        return best;
    }

    /// <summary>
    /// The official script's output over a whole set: EM and F1 on 0–100, divided by every question; a question with no
    /// prediction (null) scores 0 and is counted in <c>Skipped</c>.
    /// </summary>
    public static (double Em, double F1, int Total, int Skipped) Evaluate(IEnumerable<(IReadOnlyList<string> References, string? Prediction)> questions)
    {
        double em = 0, f1 = 0;
        int total = 0, skipped = 0;
        foreach (var (references, prediction) in questions)
        {
            total++;
            if (prediction is null)
            {
                skipped++;
                continue;
            }
            em += ExactMatch(prediction, references);
            f1 += F1(prediction, references);
        }
        return total == 0 ? (0, 0, 0, 0) : (100.0 * em / total, 100.0 * f1 / total, total, skipped);
    }

    public static string RemovePunctuation(string text)
    {
        var result = new StringBuilder();
        foreach (var rune in Normalise(text).EnumerateRunes())
        {
            var s = rune.ToString();
            if (!Punctuation.Contains(s)) result.Append(s);
        }
        return result.ToString();
    }

    /// <summary>The official mixed segmentation with punctuation removed (the form F1 uses).</summary>
    public static IReadOnlyList<string> MixedSegmentation(string text)
    {
        var tokens = new List<string>();
        var run = new StringBuilder();
        foreach (var rune in Normalise(text).EnumerateRunes())
        {
            var s = rune.ToString();
            // Punctuation is skipped before the run is flushed, so "ω-force" stays one word ("ωforce").
            if (Punctuation.Contains(s)) continue;
            if (rune.Value is >= 0x4E00 and <= 0x9FA5)
            {
                Flush();
                tokens.Add(s);
            }
            else run.Append(s);
        }
        Flush();
        return tokens;

        void Flush()
        {
            if (run.Length == 0) return;
            tokens.AddRange(EnglishWords(run.ToString()));
            run.Clear();
        }
    }

    /// <summary>Longest common contiguous run of tokens, as the scorer's <c>find_lcs</c> (dynamic programming).</summary>
    public static int LongestCommonSubstring(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        var best = 0;
        for (var i = 0; i < a.Count; i++)
        {
            for (var j = 0; j < b.Count; j++)
            {
                current[j + 1] = a[i] == b[j] ? previous[j] + 1 : 0;
                best = Math.Max(best, current[j + 1]);
            }
            (previous, current) = (current, previous);
        }
        return best;
    }

    /// <summary>
    /// The Penn Treebank rules that NLTK's <c>word_tokenize</c> applies to a run of non-Chinese text: quotes, commas and
    /// colons not inside numbers, <c>; @ # $ % &amp;</c>, <c>? !</c>, brackets, a final period, and clitics
    /// (<c>'s</c>, <c>n't</c>, …) become tokens of their own; then split on white space. NLTK first splits sentences
    /// with Punkt; this treats each run as one sentence, which differs only for several sentences of Latin text inside
    /// one answer.
    /// </summary>
    public static IReadOnlyList<string> EnglishWords(string text)
    {
        text = StartQuote().Replace(text, "`` ");
        text = OpeningQuote().Replace(text, "$1 `` ");
        text = CommaNotInNumber().Replace(text, " $1 $2");
        text = TrailingComma().Replace(text, " $1 ");
        text = Ellipsis().Replace(text, " ... ");
        text = Symbols().Replace(text, " $0 ");
        text = FinalPeriod().Replace(text, "$1 $2$3 ");
        text = QuestionOrBang().Replace(text, " $0 ");
        text = QuoteBeforeSpace().Replace(text, "$1 ' ");
        text = Brackets().Replace(text, " $0 ");
        text = DoubleDash().Replace(text, " -- ");
        text = " " + text + " ";
        text = text.Replace("\"", " '' ", StringComparison.Ordinal);
        text = ClosingQuotes().Replace(text, "$1 $2 ");
        text = Clitics().Replace(text, "$1 $2 ");
        text = LongClitics().Replace(text, "$1 $2 ");
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    private static string Normalise(string text) => text.ToLowerInvariant().Trim();

    [GeneratedRegex("^\"")] private static partial Regex StartQuote();
    [GeneratedRegex("([ (\\[{<])(\"|'{2})")] private static partial Regex OpeningQuote();
    [GeneratedRegex(@"([:,])([^\d])")] private static partial Regex CommaNotInNumber();
    [GeneratedRegex(@"([:,])$")] private static partial Regex TrailingComma();
    [GeneratedRegex(@"\.\.\.")] private static partial Regex Ellipsis();
    [GeneratedRegex(@"[;@#$%&]")] private static partial Regex Symbols();
    [GeneratedRegex(@"([^\.])(\.)([\]\)}>""']*)\s*$")] private static partial Regex FinalPeriod();
    [GeneratedRegex(@"[?!]")] private static partial Regex QuestionOrBang();
    [GeneratedRegex(@"([^'])' ")] private static partial Regex QuoteBeforeSpace();
    [GeneratedRegex(@"[\]\[\(\)\{\}<>]")] private static partial Regex Brackets();
    [GeneratedRegex(@"--")] private static partial Regex DoubleDash();
    [GeneratedRegex(@"(\S)('')")] private static partial Regex ClosingQuotes();
    [GeneratedRegex(@"([^' ])('[sS]|'[mM]|'[dD]|') ")] private static partial Regex Clitics();
    [GeneratedRegex(@"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ")] private static partial Regex LongClitics();
}
