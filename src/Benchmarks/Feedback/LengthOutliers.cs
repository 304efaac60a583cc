namespace Evals.Benchmarks.Feedback;

/// <summary>A model's typical answer length, robustly: median and MAD of ln(1 + characters).</summary>
public sealed record LengthProfile(int Count, double MedianLog, double Scale)
{
    public double MedianCharacters => Math.Exp(MedianLog) - 1;
}

/// <summary>
/// Length outliers per model by the modified z-score of Iglewicz &amp; Hoaglin (1993, "How to Detect and Handle
/// Outliers", §3.3): M = 0.6745 (x − median) / MAD, outlier when |M| &gt; 3.5. Lengths are log-transformed first,
/// because answer lengths are right-skewed and a 3× longer answer should count as much as a 3× shorter one. A few
/// very long answers cannot move the median or MAD, which is why this is used and not mean ± k·sd. When more than half
/// the answers have the same length the MAD is 0; then the scale falls back to 1.2533 × the mean absolute deviation
/// (their suggested substitute), and to "any difference is an outlier" only if that is 0 too.
/// </summary>
public static class LengthOutliers
{
    public const double Threshold = 3.5;
    /// <summary>Fewer answers than this say too little about what is typical for a model.</summary>
    public const int MinProfile = 20;

    public static double LogLength(string text) => Math.Log(1 + text.Length);

    public static LengthProfile? Profile(IReadOnlyList<int> lengths)
    {
        if (lengths.Count < MinProfile) return null;
        var logs = lengths.Select(l => Math.Log(1 + l)).ToArray();
        var median = Median(logs);
        var deviations = logs.Select(x => Math.Abs(x - median)).ToArray();
        var mad = Median(deviations);
        var scale = mad > 0 ? mad / 0.6745 : 1.2533 * deviations.Average();
        return new LengthProfile(lengths.Count, median, scale);
    }

    /// <summary>The modified z-score of one answer's length against the profile (positive: longer than usual).</summary>
    public static double RobustZ(LengthProfile profile, int length)
    {
        var x = Math.Log(1 + length) - profile.MedianLog;
        if (profile.Scale > 0) return x / profile.Scale;
        return x == 0 ? 0 : x > 0 ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public static bool IsOutlier(LengthProfile profile, int length) => Math.Abs(RobustZ(profile, length)) > Threshold;

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
