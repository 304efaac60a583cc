using System.Globalization;
using Evals.Benchmarks.Statistics;

namespace Evals.Runner.Gate;

/// <summary>Everything the gate's outputs show: which runs were compared, the decision, and notes on the pairing.</summary>
public sealed record GateReport(
    GateSide Candidate,
    GateSide Baseline,
    GateResult Result,
    IReadOnlyList<string> Notes,
    DateTimeOffset Timestamp,
    double DurationS)
{
    public string SuiteLabel => $"{Candidate.Suite}@{Candidate.SuiteVersion}";

    public string Headline => Result.Passed
        ? $"PASS: {Candidate.Model} is not significantly worse than {Baseline.Model} by more than the allowed drop on {SuiteLabel}"
        : $"FAIL: regression in {string.Join(", ", Result.Failures.Select(f => f.Name))} — " +
          string.Join("; ", Result.Failures.Select(f => $"{f.Name} {f.Reason}"));

    public string Settings => $"max drop {F(Result.Options.MaxDrop)} points, α = {F(Result.Options.Alpha)}" +
        (Result.Options.Holm ? ", p-values Holm-adjusted over all checks" : ", p-values not adjusted") +
        $", {Result.Options.Rounds} bootstrap rounds (seed {Result.Options.Seed})";

    public int ConfidencePercent => (int)Math.Round(100 * (1 - Result.Options.Alpha));

    /// <summary>The numbers of one check in one line: what a JUnit failure carries and the Markdown repeats.</summary>
    public static string Numbers(GateCheck c)
    {
        var d = c.Comparison;
        var test = d.McNemar is { } m
            ? $"McNemar ({m.Method}) b = {m.B} (only the candidate right), c = {m.C} (only the baseline right), p = {P(m.PValue)}"
            : $"paired bootstrap p = {P(d.BootstrapP)}";
        return $"n = {d.N}, baseline {F(c.Baseline)}, candidate {F(c.Candidate)}, difference {Signed(d.Difference)} " +
               $"({(int)Math.Round(100 * d.Confidence)}% CI {Signed(d.CiLow)} to {Signed(d.CiHigh)}), {test}, adjusted p = {P(c.AdjustedP)}, " +
               $"allowed drop {F(c.MaxDrop)}";
    }

    public static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
    public static string Signed(double value) => value.ToString("+0.00;−0.00;0.00", CultureInfo.InvariantCulture);
    public static string P(double p) => p < 0.0001 ? "< 0.0001" : p.ToString("0.0000", CultureInfo.InvariantCulture);

    public static string TestName(PairedDifference d) => d.McNemar is not null ? "McNemar" : "paired bootstrap";
}
