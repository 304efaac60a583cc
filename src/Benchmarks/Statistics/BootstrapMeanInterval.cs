namespace Evals.Benchmarks.Statistics;

/// <summary>A bootstrap percentile interval for a mean, in the units of the scores given.</summary>
public sealed record BootstrapInterval(int N, double Mean, double CiLow, double CiHigh, double Confidence, int Rounds, long Seed);

/// <summary>
/// Percentile bootstrap interval of the mean of per-item scores (Efron &amp; Tibshirani 1993, ch. 13): resample the
/// items with replacement <c>rounds</c> times, take the 2.5th and 97.5th percentiles of the resampled means (for 95%).
/// Reference: lm-evaluation-harness <c>lm_eval/api/metrics.py</c> <c>bootstrap_stderr</c> resamples the same way (it
/// reports a standard error instead of percentiles). Use for graded metrics (F1, chrF) where a binomial interval does
/// not apply; for plain accuracy, <see cref="WilsonInterval"/>. Deterministic for a seed.
/// </summary>
public static class BootstrapMeanInterval
{
    public static BootstrapInterval Compute(
        ReadOnlySpan<double> scores,
        int rounds = 1000,
        long seed = 0,
        double confidence = 0.95,
        int maxDegreeOfParallelism = -1)
    {
        var values = scores.ToArray();
        var means = BootstrapMeans.Resample(values, rounds, seed, maxDegreeOfParallelism);
        Array.Sort(means);
        var (low, high) = BootstrapMeans.PercentileInterval(means, confidence);
        return new BootstrapInterval(values.Length, values.Average(), low, high, confidence, rounds, seed);
    }
}
