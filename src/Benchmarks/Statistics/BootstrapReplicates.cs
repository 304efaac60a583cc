namespace Evals.Benchmarks.Statistics;

/// <summary>
/// The per-round statistics of a bootstrap, unsorted (round r draws from the stream (seed, r)), for intervals of a
/// quantity built from several independently resampled parts: a run's overall score resamples each task's items on its
/// own (a stratified bootstrap, each task with its own seed) and combines round r of every task.
/// </summary>
public static class BootstrapReplicates
{
    /// <summary>The mean of each resample of <paramref name="values"/>.</summary>
    public static double[] Means(double[] values, int rounds, long seed) => BootstrapMeans.Resample(values, rounds, seed, maxDegreeOfParallelism: -1);

    /// <summary>A statistic of resampled item indices (macro-F1, corpus metrics), once per round.</summary>
    public static double[] Statistic(int n, Func<int[], double> statistic, int rounds, long seed)
    {
        if (n <= 0) throw new ArgumentException("needs at least one item", nameof(n));
        var values = new double[rounds];
        var indices = new int[n];
        for (var r = 0; r < rounds; r++)
        {
            var rng = SeededRandom.ForStream(seed, r);
            for (var i = 0; i < n; i++) indices[i] = rng.NextInt(n);
            values[r] = statistic(indices);
        }
        return values;
    }
}
