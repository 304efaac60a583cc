namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Two independent proportions x1/n1 and x2/n2, on the 0–100 scale: the difference (1 − 2) with Newcombe's hybrid
/// score interval and the pooled two-sided z-test.
/// </summary>
public sealed record TwoProportionResult(double P1, double P2, double Difference, double CiLow, double CiHigh, double Z, double PValue);

/// <summary>
/// For online A/B tests with independent users (for paired items use <see cref="McNemar"/> or <see cref="PairedBootstrap"/>).
/// Interval: Newcombe (1998), "Interval estimation for the difference between independent proportions", method 10
/// (hybrid score, from the two <see cref="WilsonInterval"/>s); its Table II gives 56/70 − 48/80 → (0.0524, 0.3339).
/// Test: the pooled z statistic (p1 − p2) / √(p(1 − p)(1/n1 + 1/n2)), equivalent to Pearson's chi-square on the 2×2
/// table without continuity correction (R <c>prop.test(correct = FALSE)</c>). This is a fixed-horizon test: its
/// p-value is valid only at a sample size chosen in advance, not when peeked at repeatedly.
/// </summary>
public static class TwoProportionTest
{
    public static TwoProportionResult Compute(int x1, int n1, int x2, int n2, double confidence = 0.95)
    {
        Validate(x1, n1, nameof(x1));
        Validate(x2, n2, nameof(x2));
        var z = SpecialFunctions.NormalQuantile(1 - (1 - confidence) / 2);
        double p1 = (double)x1 / n1, p2 = (double)x2 / n2;
        var (l1, u1) = WilsonInterval.Compute(x1, n1, z);
        var (l2, u2) = WilsonInterval.Compute(x2, n2, z);
        (l1, u1, l2, u2) = (l1 / 100, u1 / 100, l2 / 100, u2 / 100);
        var difference = p1 - p2;
        var low = difference - Math.Sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
        var high = difference + Math.Sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));

        var pooled = (double)(x1 + x2) / (n1 + n2);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
        var statistic = se == 0 ? 0 : difference / se;
        var pValue = se == 0 ? 1 : SpecialFunctions.NormalTwoSidedP(statistic);
        return new TwoProportionResult(100 * p1, 100 * p2, 100 * difference, 100 * low, 100 * high, statistic, pValue);
    }

    private static void Validate(int x, int n, string name)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(name, $"Needs at least one trial (n = {n}).");
        if (x < 0 || x > n) throw new ArgumentOutOfRangeException(name, $"{x} successes out of {n}.");
    }
}
