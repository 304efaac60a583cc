using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Experiments;

/// <summary>The stopping rules an online experiment may declare when it is created (never after seeing data).</summary>
public static class StoppingRules
{
    /// <summary>Analyse once, when every variant has the declared number of ratings; earlier looks decide nothing.</summary>
    public const string FixedHorizon = "fixed_horizon";
    /// <summary>Always-valid confidence sequences: look every day and stop as soon as the difference excludes zero.</summary>
    public const string ConfidenceSequence = "confidence_sequence";

    public static IReadOnlyList<string> All { get; } = [FixedHorizon, ConfidenceSequence];

    public static string Describe(string rule, int? horizon, double alpha) => rule switch
    {
        FixedHorizon => $"fixed horizon: analysed once, at {horizon} ratings per variant (α = {alpha}); looking earlier decides nothing",
        ConfidenceSequence => $"always-valid confidence sequences (normal mixture, α = {alpha}): valid however often the page is looked at; stop when the difference excludes 0",
        _ => throw new ArgumentException($"unknown stopping rule '{rule}'; known: {string.Join(", ", All)}"),
    };
}

/// <summary>Ratings of one variant so far: how many were positive out of how many.</summary>
public sealed record VariantRatings(string Variant, int Positive, int N);

public sealed record RateEstimate(string Variant, int Positive, int N, double Rate, double CiLow, double CiHigh);

/// <summary>Variant minus the control (the first variant), in points of positive rate.</summary>
public sealed record RateDifference(string Variant, string Control, double Difference, double CiLow, double CiHigh, bool Conclusive);

/// <param name="Ready">Whether the rule allows a decision now (fixed horizon: every variant reached it; sequences: always).</param>
public sealed record OnlineReport(string Rule, string RuleDescription, bool Ready, IReadOnlyList<RateEstimate> Variants, IReadOnlyList<RateDifference> Differences, string Verdict);

/// <summary>
/// Per-variant positive rate with intervals, and each variant's difference to the control, under the experiment's
/// declared stopping rule. Fixed horizon: Wilson intervals and Newcombe's difference interval (<see cref="TwoProportionTest"/>),
/// valid at the horizon only. Confidence sequence: Robbins' normal-mixture boundary for a ¼-sub-Gaussian (Bernoulli)
/// mean (Howard, Ramdas, McAuliffe &amp; Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic confidence
/// sequences", §3): with V = n/4 the sequence x̄ ± √((V + ρ) ln((V + ρ)/(ρ α²)))/n covers the rate at every n at once
/// with probability 1 − α, which is what makes daily looks safe. Each variant's sequence is at α/2 (twice as many for
/// the difference by the union bound), and the difference interval is the difference of the two intervals.
/// </summary>
public static class OnlineAnalysis
{
    /// <summary>Ratings per variant at which the mixture boundary is tightest (ρ is tuned for it).</summary>
    public const int TunedFor = 1000;

    public static OnlineReport Analyse(string rule, int? horizon, double alpha, IReadOnlyList<VariantRatings> ratings)
    {
        if (ratings.Count < 2) throw new ArgumentException("needs at least two variants");
        var description = StoppingRules.Describe(rule, horizon, alpha);
        var sequence = rule == StoppingRules.ConfidenceSequence;
        var estimates = ratings.Select(r => sequence ? SequenceEstimate(r, alpha / 2) : WilsonEstimate(r, alpha)).ToList();
        var ready = sequence || ratings.All(r => r.N >= horizon);
        var control = ratings[0];
        var differences = new List<RateDifference>();
        for (var v = 1; v < ratings.Count; v++)
        {
            var r = ratings[v];
            if (r.N == 0 || control.N == 0)
            {
                differences.Add(new RateDifference(r.Variant, control.Variant, 0, -100, 100, false));
                continue;
            }
            double difference, low, high;
            if (sequence)
            {
                var (a, c) = (estimates[v], estimates[0]);
                (difference, low, high) = (a.Rate - c.Rate, a.CiLow - c.CiHigh, a.CiHigh - c.CiLow);
            }
            else
            {
                var test = TwoProportionTest.Compute(r.Positive, r.N, control.Positive, control.N, 1 - alpha);
                (difference, low, high) = (test.Difference, test.CiLow, test.CiHigh);
            }
            differences.Add(new RateDifference(r.Variant, control.Variant, difference, low, high, ready && (low > 0 || high < 0)));
        }
        var best = differences.Where(d => d.Conclusive).ToList();
        var verdict = !ready ? $"not yet: the fixed horizon is {horizon} ratings per variant ({string.Join(", ", ratings.Select(r => $"{r.Variant} {r.N}"))})"
            : best.Count == 0 ? "no significant difference from the control yet"
            : string.Join("; ", best.Select(d => $"{d.Variant} {(d.Difference > 0 ? "beats" : "loses to")} {d.Control} by {Math.Abs(d.Difference):0.##} points"));
        return new OnlineReport(rule, description, ready, estimates, differences, verdict);
    }

    private static RateEstimate WilsonEstimate(VariantRatings r, double alpha)
    {
        if (r.N == 0) return new RateEstimate(r.Variant, 0, 0, 0, 0, 100);
        var (low, high) = WilsonInterval.Compute(r.Positive, r.N, SpecialFunctions.NormalQuantile(1 - alpha / 2));
        return new RateEstimate(r.Variant, r.Positive, r.N, 100.0 * r.Positive / r.N, low, high);
    }

    /// <summary>The normal-mixture confidence sequence for a rate at level <paramref name="alpha"/>, at the current n.</summary>
    public static RateEstimate SequenceEstimate(VariantRatings r, double alpha)
    {
        if (r.N == 0) return new RateEstimate(r.Variant, 0, 0, 0, 0, 100);
        var rho = Rho(alpha);
        var v = r.N / 4.0;
        var radius = Math.Sqrt((v + rho) * Math.Log((v + rho) / (rho * alpha * alpha))) / r.N;
        var rate = (double)r.Positive / r.N;
        return new RateEstimate(r.Variant, r.Positive, r.N, 100 * rate, 100 * Math.Max(0, rate - radius), 100 * Math.Min(1, rate + radius));
    }

    /// <summary>ρ that makes the boundary about tightest at intrinsic time V = <see cref="TunedFor"/>/4, by the usual
    /// approximation ρ ≈ V / (2 ln(1/α) + ln(1 + 2 ln(1/α))); any fixed ρ keeps the sequence valid, it only moves where it is tight.</summary>
    private static double Rho(double alpha)
    {
        var log = Math.Log(1 / alpha);
        return (TunedFor / 4.0) / (2 * log + Math.Log(1 + 2 * log));
    }
}
