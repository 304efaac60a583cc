namespace Evals.Benchmarks.Statistics;

/// <summary>The paired comparison of system A against system B on the same items; the difference is mean A − mean B.</summary>
/// <param name="PValue">Two-sided: twice the smaller share of resampled differences on either side of zero,
/// (1 + count) / (1 + rounds) so it is never 0, capped at 1. It is below 1 − confidence exactly when zero lies outside
/// the percentile interval (up to interpolation).</param>
public sealed record PairedBootstrapResult(
    int N,
    double MeanA,
    double MeanB,
    double Difference,
    double CiLow,
    double CiHigh,
    double PValue,
    double Confidence,
    int Rounds,
    long Seed);

/// <summary>
/// Paired bootstrap for the difference of two systems' mean scores on the same items (Koehn 2004, "Statistical
/// significance tests for machine translation evaluation"; Efron &amp; Tibshirani 1993 §16): each round resamples item
/// indices with replacement and recomputes the mean difference, which is the mean of the per-item differences
/// a_i − b_i over the resample; the interval is the percentile interval of those differences. Pairing removes the
/// between-item variance that an unpaired comparison would carry. Deterministic for a seed, whatever the threads.
/// Scores may be on any scale (0/1, 0–100); the result is on the same scale.
/// </summary>
public static class PairedBootstrap
{
    public static PairedBootstrapResult Compute(
        ReadOnlySpan<double> a,
        ReadOnlySpan<double> b,
        int rounds = 1000,
        long seed = 0,
        double confidence = 0.95,
        int maxDegreeOfParallelism = -1)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Paired scores need the same items: {a.Length} scores against {b.Length}.");
        if (a.Length == 0) throw new ArgumentException("Needs at least one item.");
        var differences = new double[a.Length];
        double sumA = 0, sumB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            differences[i] = a[i] - b[i];
            sumA += a[i];
            sumB += b[i];
        }
        var means = BootstrapMeans.Resample(differences, rounds, seed, maxDegreeOfParallelism);
        Array.Sort(means);
        var (low, high) = BootstrapMeans.PercentileInterval(means, confidence);
        var p = BootstrapMeans.TwoSidedPValue(means);
        var n = a.Length;
        return new PairedBootstrapResult(n, sumA / n, sumB / n, differences.Average(), low, high, p, confidence, rounds, seed);
    }
}
