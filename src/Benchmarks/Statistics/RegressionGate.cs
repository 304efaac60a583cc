namespace Evals.Benchmarks.Statistics;

/// <summary>How much a candidate may drop before the gate looks at significance, and at which level.</summary>
/// <param name="MaxDrop">Points (0–100 scale) a task or the overall score may drop, whatever the p-value.</param>
/// <param name="TaskMaxDrop">Per-task overrides of <see cref="MaxDrop"/>, by full task name.</param>
/// <param name="OverallMaxDrop">Override for the overall score.</param>
/// <param name="Holm">Adjust the p-values of all checks (tasks and overall) together with <see cref="Statistics.Holm"/>.</param>
public sealed record GateOptions(
    double MaxDrop = 1.0,
    double Alpha = 0.05,
    IReadOnlyDictionary<string, double>? TaskMaxDrop = null,
    double? OverallMaxDrop = null,
    bool Holm = true,
    int Rounds = 10_000,
    long Seed = 0)
{
    public double MaxDropFor(string task) => TaskMaxDrop is not null && TaskMaxDrop.TryGetValue(task, out var drop) ? drop : MaxDrop;
}

/// <summary>One check of the gate: a task or the overall score.</summary>
/// <param name="Drop">Points lost, baseline − candidate (negative when the candidate improved).</param>
/// <param name="AdjustedP">The test's p-value after the multiple-testing adjustment (equal to it without one).</param>
public sealed record GateCheck(PairedDifference Comparison, double MaxDrop, double AdjustedP, bool Significant, bool Failed, string Reason)
{
    public string Name => Comparison.Name;
    public double Baseline => Comparison.MeanB;
    public double Candidate => Comparison.MeanA;
    public double Drop => -Comparison.Difference;
}

public sealed record GateResult(IReadOnlyList<GateCheck> Tasks, GateCheck Overall, GateOptions Options)
{
    public IEnumerable<GateCheck> Checks => Tasks.Append(Overall);
    public IReadOnlyList<GateCheck> Failures => Checks.Where(c => c.Failed).ToList();
    public bool Passed => Failures.Count == 0;
}

/// <summary>
/// The regression gate's decision, a pure function of the paired item scores. Comparisons are candidate (A) minus
/// baseline (B) on the same items (<see cref="PairedComparison"/>): McNemar's test for accuracy-type tasks, the paired
/// bootstrap otherwise and for the overall score; the interval is the paired bootstrap's at 1 − α (95% by default).
/// A check fails when both hold: the drop is larger than its allowed points, and the drop is significant (adjusted
/// p &lt; α). The first condition keeps tiny but real drops on huge suites from failing builds; the second keeps noise on
/// small tasks from failing them. With <see cref="GateOptions.Holm"/> the p-values of all checks are adjusted together,
/// so the chance that noise alone fails a build stays at most α however many tasks the suite has.
/// </summary>
public static class RegressionGate
{
    public static GateResult Evaluate(IReadOnlyList<PairedTask> tasks, GateOptions options, int maxDegreeOfParallelism = -1)
    {
        if (options.Alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), $"alpha {options.Alpha} must be in (0, 1)");
        if (options.MaxDrop < 0) throw new ArgumentOutOfRangeException(nameof(options), $"max drop {options.MaxDrop} must be 0 or more");
        var (perTask, overall) = PairedComparison.All(tasks, options.Rounds, options.Seed, 1 - options.Alpha, maxDegreeOfParallelism);
        var comparisons = perTask.Append(overall).ToList();
        var p = comparisons.Select(c => c.PValue).ToArray();
        var adjusted = options.Holm ? Holm.Adjust(p) : p;
        var checks = comparisons.Select((c, i) =>
        {
            var maxDrop = i < perTask.Count ? options.MaxDropFor(c.Name) : options.OverallMaxDrop ?? options.MaxDrop;
            return Check(c, maxDrop, adjusted[i], options.Alpha);
        }).ToList();
        return new GateResult(checks[..^1], checks[^1], options);
    }

    private static GateCheck Check(PairedDifference c, double maxDrop, double adjustedP, double alpha)
    {
        var drop = -c.Difference;
        var significant = adjustedP < alpha;
        var tooLarge = drop > maxDrop;
        var failed = tooLarge && significant;
        var reason = failed ? $"dropped {drop:0.##} points (allowed {maxDrop:0.##}), significant: p = {adjustedP:0.####} < {alpha}"
            : tooLarge ? $"dropped {drop:0.##} points (allowed {maxDrop:0.##}) but within noise: p = {adjustedP:0.####} ≥ {alpha}"
            : drop > 0 ? $"dropped {drop:0.##} points, within the allowed {maxDrop:0.##}"
            : drop < 0 ? $"improved by {-drop:0.##} points" : "unchanged";
        return new GateCheck(c, maxDrop, adjustedP, significant, failed, reason);
    }
}
