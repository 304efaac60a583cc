using System.Text;

namespace Evals.Benchmarks.Metrics;

/// <summary>
/// CMRC 2018's exact match and F1, computed as the official scorer computes them: ymcui/cmrc2018
/// <c>baseline/cmrc2018_evaluate.py</c> (v6, Python 3, 2022), re-implemented from its rules, not copied. The older
/// <c>squad-style-data/cmrc2018_evaluate.py</c> (v5 "special", Python 2) has the same lists and arithmetic; the
/// differences are Python 2's (see docs/cmrc2018.md). Steps, for a prediction and each reference:
/// <list type="number">
/// <item>Normalise: Python's <c>str.lower()</c> (full Unicode mapping: İ → i̇, final Σ → ς), then <c>str.strip()</c>.</item>
/// <item>The scorer's punctuation list, exactly as written: <c>- : _ * ^ / \ ~ ` + =</c> and
/// <c>，。：？！“”；’《》……·、「」（）－～『』</c>. It is compared one character at a time, so its two-character entry
/// <c>……</c> never matches and <c>…</c> is <em>not</em> punctuation; ASCII <c>. , ? ! " '</c>, <c>‘</c> (only the
/// closing ’ is listed) and full-width brackets other than （） are not punctuation either.</item>
/// <item>EM: 1 when the prediction, with every listed character deleted (inner spaces kept), equals some reference
/// treated the same way; else 0.</item>
/// <item>F1 — "mixed segmentation" with punctuation removed: characters are read in order; a listed character is
/// skipped without ending the current run (so "ω-force" is the run "ωforce"); a character in U+4E00–U+9FA5 ends the run
/// and is a token by itself; every other character (Latin, digits, spaces, other CJK blocks, ASCII punctuation) joins the
/// run; each run is tokenised by NLTK's <c>word_tokenize</c> (<see cref="NltkWordTokenizer.WordTokenize"/>: Punkt
/// sentences, then Treebank rules with contractions, "don't" → do n't).</item>
/// <item>The longest common <em>contiguous</em> run of tokens L (the script's <c>find_lcs</c>): 0 → F1 0; else
/// P = L / |prediction tokens|, R = L / |reference tokens|, F1 = 2PR / (P + R). The best over the references counts.</item>
/// <item>Over a set: EM and F1 summed, ×100, divided by every question, answered or not; an unanswered question adds 0
/// (and is counted as skipped). An empty prediction is scored like any other and gets 0 (the dev set has no reference
/// made only of listed punctuation, the one case where "" would match).</item>
/// </list>
/// Known differences from the script: Punkt runs with an untrained model (NLTK's trained English abbreviations are data
/// we do not ship; see <see cref="PunktSentenceSplitter"/>), and casing and character classes follow .NET 10's Unicode
/// tables where CPython's version may differ. Both metrics are higher-is-better and aggregate by mean.
/// Chat-reply clean-up (答案：…, quotes, several lines) is not done here: see
/// <c>Suites/Reading/SpanAnswerExtraction</c>, which runs before this.
/// </summary>
public static class Cmrc2018Scorer
{
    public const string Em = "em";
    public const string F1Name = "f1";

    public static readonly MetricInfo EmInfo = new(Em, Aggregation.Mean, HigherIsBetter: true,
        "CMRC 2018 exact match after deleting the official punctuation list, as the official script");

    public static readonly MetricInfo F1Info = new(F1Name, Aggregation.Mean, HigherIsBetter: true,
        "CMRC 2018 F1 over mixed-segmentation tokens (NLTK word_tokenize), longest common substring, best reference");

    /// <summary>The official list; "……" is one entry of two characters and so never equals a character.</summary>
    public static readonly IReadOnlyList<string> PunctuationList =
    [
        "-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
        "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·", "、",
        "「", "」", "（", "）", "－", "～", "『", "』",
    ];

    private static readonly HashSet<string> Punctuation = [.. PunctuationList];

    /// <summary>1 when <paramref name="prediction"/> matches any reference after normalisation, else 0.</summary>
    public static double ExactMatch(string prediction, IReadOnlyList<string> references)
    {
        var predicted = RemovePunctuation(prediction);
        foreach (var reference in references)
            if (RemovePunctuation(reference) == predicted) return 1;
        return 0;
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
            var precision = 1.0 * common / predicted.Count;
            var recall = 1.0 * common / gold.Count;
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
            f1 += F1(prediction, references);
            em += ExactMatch(prediction, references);
        }
        return total == 0 ? (0, 0, 0, 0) : (100.0 * em / total, 100.0 * f1 / total, total, skipped);
    }

    /// <summary>The script's <c>remove_punctuation</c>: lower-case, strip, delete every listed character.</summary>
    public static string RemovePunctuation(string text)
    {
        var result = new StringBuilder();
        foreach (var c in CodePoints(Normalise(text)))
            if (!Punctuation.Contains(c)) result.Append(c);
        return result.ToString();
    }

    /// <summary>The script's <c>mixed_segmentation(text, rm_punc=True)</c>, the tokens F1 compares.</summary>
    public static IReadOnlyList<string> MixedSegmentation(string text)
    {
        var tokens = new List<string>();
        var run = new StringBuilder();
        foreach (var c in CodePoints(Normalise(text)))
        {
            // A listed character is skipped before the run is ended, so "ω-force" stays one run ("ωforce").
            if (Punctuation.Contains(c)) continue;
            if (c.Length == 1 && c[0] is >= '\u4E00' and <= '\u9FA5')
            {
                Flush();
                tokens.Add(c);
            }
            else run.Append(c);
        }
        Flush();
        return tokens;

        void Flush()
        {
            if (run.Length == 0) return;
            tokens.AddRange(NltkWordTokenizer.WordTokenize(run.ToString()));
            run.Clear();
        }
    }

    /// <summary>Length of the longest common contiguous run of tokens, as the script's <c>find_lcs</c>.</summary>
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

    private static string Normalise(string text) => NltkWordTokenizer.PythonStrip(NltkWordTokenizer.PythonLower(text));

    // Python iterates a str by code point; a surrogate pair is one character there.
    private static IEnumerable<string> CodePoints(string text)
    {
        for (var i = 0; i < text.Length; i++)
            yield return char.IsSurrogatePair(text, i) ? text.Substring(i++, 2) : text[i].ToString();
    }
}
