namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Wilson score interval for a binomial proportion (Wilson 1927; Brown, Cai &amp; DasGupta 2001 recommend it over the
/// normal approximation for small n and proportions near 0 or 1). Returned on the 0–100 scale.
/// </summary>
public static class WilsonInterval
{
    public static (double Low, double High) Compute(int successes, int n, double z = 1.959963984540054)
    {
        if (n <= 0) return (0, 0);
        if (successes < 0 || successes > n) throw new ArgumentOutOfRangeException(nameof(successes));
        var p = (double)successes / n;
        var z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2 * n)) / denominator;
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        return (Math.Max(0, centre - half) * 100, Math.Min(1, centre + half) * 100);
    }
}
