namespace Evals.Benchmarks.Statistics;

/// <summary>
/// The engine behind the bootstrap intervals: the means of <c>rounds</c> resamples (with replacement, same size) of a
/// list of per-item values. Round r uses its own random stream of (seed, r), so results do not depend on threads.
/// <para>A resample's mean only depends on how many times each distinct value was drawn. When the values take few
/// distinct values (accuracy-type scores: 0/100, or paired differences −100/0/100) those counts are drawn directly as
/// a multinomial (conditional binomials, <see cref="BinomialSampler"/>): O(distinct values) per round instead of O(n),
/// with exactly the same distribution as drawing n indices. Otherwise indices are drawn, rounds in parallel.</para>
/// </summary>
internal static class BootstrapMeans
{
    /// <summary>At most this many distinct values take the multinomial path.</summary>
    public const int MaxDistinctForCounts = 64;

    public static double[] Resample(double[] values, int rounds, long seed, int maxDegreeOfParallelism)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);
        var n = values.Length;
        if (n == 0) throw new ArgumentException("Needs at least one item.", nameof(values));
        var means = new double[rounds];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };

        var distinct = Distinct(values);
        if (distinct is not null)
        {
            var (levels, counts) = distinct.Value;
            Parallel.For(0, rounds, parallel, () => new int[levels.Length], (r, _, draws) =>
            {
                var rng = SeededRandom.ForStream(seed, r);
                BinomialSampler.Multinomial(ref rng, n, counts, draws);
                var sum = 0.0;
                for (var j = 0; j < levels.Length; j++) sum += draws[j] * levels[j];
                means[r] = sum / n;
                return draws;
            }, _ => { });
            return means;
        }

        Parallel.For(0, rounds, parallel, r =>
        {
            var rng = SeededRandom.ForStream(seed, r);
            var sum = 0.0;
            for (var k = 0; k < n; k++) sum += values[rng.NextInt(n)];
            means[r] = sum / n;
        });
        return means;
    }

    /// <summary>The distinct values (ascending) and their counts, or null when there are more than <see cref="MaxDistinctForCounts"/>.</summary>
    private static (double[] Levels, int[] Counts)? Distinct(double[] values)
    {
        var counts = new Dictionary<double, int>();
        foreach (var v in values)
        {
            if (double.IsNaN(v)) throw new ArgumentException("Scores must not be NaN.", nameof(values));
            counts[v] = counts.GetValueOrDefault(v) + 1;
            if (counts.Count > MaxDistinctForCounts) return null;
        }
        var levels = counts.Keys.Order().ToArray();
        return (levels, levels.Select(l => counts[l]).ToArray());
    }

    /// <summary>The percentile interval of sorted resampled statistics at the given confidence (type-7 quantiles).</summary>
    /// <summary>
    /// Two-sided bootstrap p-value of "the mean difference is 0": twice the smaller share of resampled means on either
    /// side of 0, with the +1 correction so that it is never 0 (Davison &amp; Hinkley 1997, §4.4).
    /// </summary>
    public static double TwoSidedPValue(double[] means)
    {
        int atOrBelow = 0, atOrAbove = 0;
        foreach (var d in means)
        {
            if (d <= 0) atOrBelow++;
            if (d >= 0) atOrAbove++;
        }
        return Math.Min(1, 2.0 * (1 + Math.Min(atOrBelow, atOrAbove)) / (1 + means.Length));
    }

    public static (double Low, double High) PercentileInterval(double[] sorted, double confidence)
    {
        if (confidence is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(confidence));
        var tail = (1 - confidence) / 2;
        return (Quantile.OfSorted(sorted, tail), Quantile.OfSorted(sorted, 1 - tail));
    }
}
