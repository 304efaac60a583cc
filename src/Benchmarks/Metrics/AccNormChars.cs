namespace Evals.Benchmarks.Metrics;

/// <summary>
/// Length-normalised log-likelihood accuracy: the choice picked is the one with the highest log-likelihood divided by
/// its length in <em>characters</em> (Unicode code points), as lm-evaluation-harness's <c>acc_norm</c> divides by the
/// continuation's length (<c>api/metrics.py</c>, <c>len(choice)</c> on a Python str). Normalising by UTF-8 bytes
/// instead would charge every Chinese character three times a Latin letter. Higher is better; aggregates by mean.
/// </summary>
public static class AccNormChars
{
    public const string Name = "acc_norm_chars";

    public static readonly MetricInfo Info = new(Name, Aggregation.Mean, HigherIsBetter: true,
        "accuracy when each choice's log-likelihood is divided by its length in characters (not bytes)");

    /// <summary>The index of the choice with the best per-character log-likelihood; ties go to the earlier choice.</summary>
    public static int Pick(IReadOnlyList<double> logLikelihoods, IReadOnlyList<string> continuations)
    {
        if (logLikelihoods.Count != continuations.Count || logLikelihoods.Count == 0)
            throw new ArgumentException($"{logLikelihoods.Count} log-likelihoods for {continuations.Count} continuations");
        var best = 0;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < continuations.Count; i++)
        {
            var score = logLikelihoods[i] / Math.Max(1, Characters(continuations[i]));
            if (score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }
        return best;
    }

    /// <summary>Accuracy (0–100) over items, each given its log-likelihoods, its continuations and its gold index.</summary>
    public static double Compute(IReadOnlyList<(IReadOnlyList<double> LogLikelihoods, IReadOnlyList<string> Continuations, int Gold)> items) =>
        items.Count == 0 ? 0 : 100.0 * items.Count(i => Pick(i.LogLikelihoods, i.Continuations) == i.Gold) / items.Count;

    public static int Characters(string text) => text.EnumerateRunes().Count();
}
