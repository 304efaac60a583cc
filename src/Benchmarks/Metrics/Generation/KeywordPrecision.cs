namespace Evals.Benchmarks.Metrics.Generation;

/// <summary>
/// UHGEval's keyword precision (<c>kwPrec</c>, <c>uhgeval/metric/common.py</c> <c>kw_precision</c>): of the keywords
/// taken from the model's continuation, the share that occur in the reference text as substrings, 0–100; no keyword
/// scores 0. UHGEval asks an LLM for the keywords; without one, the task kind takes them with
/// <see cref="Keywords"/>, a rule of our own that is documented in docs/generation-metrics.md, so figures are ours,
/// not UHGEval's.
/// </summary>
public static class KeywordPrecision
{
    public const string Name = "keyword_precision";

    public static readonly MetricInfo Info = new(Name, Aggregation.Mean, HigherIsBetter: true,
        "share of the output's keywords (runs of Chinese characters, Latin letters or digits between punctuation, two or more characters) found in the reference; mean over items", Overlap: true);

    public static double Compute(IReadOnlyList<string> keywords, string reference)
    {
        if (keywords.Count == 0) return 0;
        var found = keywords.Count(k => reference.Contains(k, StringComparison.Ordinal));
        return 100.0 * found / keywords.Count;
    }

    /// <summary>
    /// The distinct maximal runs of letters and digits (any script) of two characters or more, in order of first
    /// appearance: for Chinese, the stretches between punctuation marks; a deterministic stand-in for UHGEval's LLM extractor.
    /// </summary>
    public static IReadOnlyList<string> Keywords(string text)
    {
        var keywords = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inside = i < text.Length && (char.IsLetterOrDigit(text[i]) || char.IsSurrogate(text[i]));
            if (inside && start < 0) start = i;
            else if (!inside && start >= 0)
            {
                var run = text[start..i];
                if (run.EnumerateRunes().Count() >= 2 && seen.Add(run)) keywords.Add(run);
                start = -1;
            }
        }
        return keywords;
    }
}
