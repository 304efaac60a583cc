using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Feedback;

/// <summary>
/// When a drop in a model's positive-rating rate is worth an alert. Alpha is one-sided and small (0.01) because the
/// check runs for every model every time the page is looked at, so a 5% level would cry wolf weekly somewhere; the
/// minimum counts keep a handful of ratings from deciding anything (at 100 ratings a week the test detects a drop of
/// about 12 points from 80% with 80% power against 4 weeks of baseline).
/// </summary>
public sealed record DriftPolicy(double Alpha = 0.01, int MinRecent = 100, int MinBaseline = 200)
{
    public static DriftPolicy Default { get; } = new();
}

/// <summary>
/// This week against the four weeks before it. <see cref="Difference"/> and its interval are recent − baseline, in
/// points (negative: worse). <see cref="PValue"/> is one-sided (recent lower), null when there were too few ratings.
/// </summary>
public sealed record DriftResult(
    bool Alert, int RecentPositive, int RecentN, int BaselinePositive, int BaselineN,
    double? RecentRate, double? BaselineRate, double? Difference, double? CiLow, double? CiHigh, double? PValue, string Reason);

/// <summary>
/// Satisfaction drift: the pooled two-proportion z-test (<see cref="TwoProportionTest"/>) of this week's positive rate
/// against the previous four weeks', one-sided for a drop, with Newcombe's interval for the difference. Weeks are
/// treated as independent samples of ratings; a model whose traffic mix changes will show that as drift too, which is
/// what an operator wants to look at.
/// </summary>
public static class SatisfactionDrift
{
    public static DriftResult Check(int recentPositive, int recentN, int baselinePositive, int baselineN, DriftPolicy? policy = null)
    {
        policy ??= DriftPolicy.Default;
        if (recentN < policy.MinRecent || baselineN < policy.MinBaseline)
            return new DriftResult(false, recentPositive, recentN, baselinePositive, baselineN,
                Rate(recentPositive, recentN), Rate(baselinePositive, baselineN), null, null, null, null,
                $"too few ratings to test: {recentN} this week (needs {policy.MinRecent}), {baselineN} in the four weeks before (needs {policy.MinBaseline})");
        var test = TwoProportionTest.Compute(recentPositive, recentN, baselinePositive, baselineN, confidence: 1 - 2 * policy.Alpha);
        var oneSided = test.Z < 0 ? test.PValue / 2 : 1 - test.PValue / 2;
        var alert = oneSided < policy.Alpha;
        var reason = alert
            ? $"positive rate fell from {test.P2:F1}% to {test.P1:F1}% ({test.Difference:F1} points, one-sided p = {oneSided:G2} < α = {policy.Alpha})"
            : $"no significant drop ({test.Difference:+0.0;-0.0} points, one-sided p = {oneSided:G2} ≥ α = {policy.Alpha})";
        return new DriftResult(alert, recentPositive, recentN, baselinePositive, baselineN, test.P1, test.P2, test.Difference, test.CiLow, test.CiHigh, oneSided, reason);
    }

    private static double? Rate(int positive, int n) => n == 0 ? null : 100.0 * positive / n;
}
