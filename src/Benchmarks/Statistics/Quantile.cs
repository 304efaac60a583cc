namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Sample quantiles with linear interpolation between order statistics (Hyndman &amp; Fan type 7), the default of
/// numpy <c>quantile</c> and pandas <c>DataFrame.quantile</c>, which FastChat's bootstrap intervals use.
/// </summary>
public static class Quantile
{
    /// <summary>The <paramref name="q"/>-quantile of values already sorted ascending; NaN for an empty span.</summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double q)
    {
        if (q is < 0 or > 1 || double.IsNaN(q)) throw new ArgumentOutOfRangeException(nameof(q));
        if (sorted.Length == 0) return double.NaN;
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        var fraction = position - lower;
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
    }

    /// <summary>The <paramref name="q"/>-quantile of unsorted values (copied, then sorted).</summary>
    public static double Of(ReadOnlySpan<double> values, double q)
    {
        var copy = values.ToArray();
        Array.Sort(copy);
        return OfSorted(copy, q);
    }
}
