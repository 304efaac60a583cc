namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Percentile bootstrap interval of a statistic that is not a mean of per-item values (macro-F1 is computed over the
/// whole confusion matrix): resample item indices with replacement, recompute the statistic, take the percentiles.
/// Round r draws from its own stream of (seed, r), as <see cref="BootstrapMeanInterval"/> does, so results are
/// deterministic for a seed.
/// </summary>
public static class BootstrapStatisticInterval
{
    public static BootstrapInterval Compute(int n, Func<int[], double> statistic, int rounds = 1000, long seed = 0, double confidence = 0.95)
    {
        var values = BootstrapReplicates.Statistic(n, statistic, rounds, seed);
        Array.Sort(values);
        var (low, high) = BootstrapMeans.PercentileInterval(values, confidence);
        return new BootstrapInterval(n, statistic(Enumerable.Range(0, n).ToArray()), low, high, confidence, rounds, seed);
    }
}
