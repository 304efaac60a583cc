using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;

namespace Evals.Runner.Runs;

/// <summary>A run's capability scores, its overall score and the plain mean of its task scores.</summary>
/// <param name="Normalisation"><c>chance</c> or <c>reference</c>: what each task score was divided by before averaging.</param>
/// <param name="Relative">Reference normalisation: each task's score as a percentage of the reference run's.</param>
/// <param name="LeftOut">Tasks that count towards no capability, and why (an overlap metric without a reference …).</param>
/// <param name="Overall">Null when no scored task can count: every one is an overlap metric without a reference run.</param>
public sealed record CapabilityScoresResult(SortedDictionary<string, double> Capabilities, double? Overall, double TasksMean,
    string Normalisation = CapabilityScores.Chance, IReadOnlyDictionary<string, double>? Relative = null,
    IReadOnlyDictionary<string, string>? LeftOut = null);

/// <summary>The reference run's score per task (and the task version it scored) that CUGE-style normalisation divides by.</summary>
public sealed record ReferenceScores(Guid RunId, string Model, IReadOnlyDictionary<string, (double Score, string Version)> Tasks);

/// <summary>
/// How a run's task scores roll up (README, "capabilities"): each scored task's normalised score counts towards the
/// capabilities the tree gives it, a capability is the mean of its tasks, overall the mean of the capabilities (the mean
/// of the raw task scores when no task has a capability). The run summary and the leaderboard both use this.
/// <para>
/// Two normalisations. <b>chance</b> (default): (score − chance) / (100 − chance) × 100, so guessing is 0 whatever the
/// number of options; a task scored by an overlap metric (ROUGE, BLEU, Distinct) has no chance level and its raw value
/// is not comparable with an accuracy, so it is left out of the roll-up (listed in <see cref="CapabilityScoresResult.LeftOut"/>).
/// <b>reference</b> (CUGE's p/b): each task's score as a percentage of a reference run's score on the same task version
/// (the reference = 100), which puts accuracies and overlap metrics on one scale; a task the reference did not score, scored
/// on another version, or scored 0 is left out.
/// </para>
/// </summary>
public static class CapabilityScores
{
    public const string Chance = "chance";
    public const string Reference = "reference";

    public static CapabilityScoresResult Compute(CapabilityTree tree, IEnumerable<(string TaskName, TaskManifest Manifest, TaskSummary Summary)> tasks,
        ReferenceScores? reference = null)
    {
        var perCapability = new Dictionary<string, List<double>>();
        var scored = new List<double>();
        var comparable = new List<double>();
        var relative = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var leftOut = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, manifest, summary) in tasks)
        {
            if (summary.N == 0) continue;
            scored.Add(summary.Score);
            if (reference is not null || !MetricCatalog.IsOverlap(summary.Metric)) comparable.Add(summary.Score);
            var (capabilities, normalise, why) = Contribution(tree, name, manifest, summary, reference);
            if (why is not null) leftOut[name] = why;
            if (normalise is null) continue;
            var value = normalise(summary.Score);
            if (reference is not null) relative[name] = value;
            foreach (var capability in capabilities)
            {
                if (!perCapability.TryGetValue(capability, out var list)) perCapability[capability] = list = [];
                list.Add(value);
            }
        }
        var result = new SortedDictionary<string, double>(perCapability.ToDictionary(c => c.Key, c => Math.Round(c.Value.Average(), 4)), StringComparer.Ordinal);
        var tasksMean = scored.Count == 0 ? 0 : Math.Round(scored.Average(), 4);
        // With no capability, overall falls back to the mean of the raw task scores — never of overlap metrics' raw values.
        double? overall = result.Count > 0 ? Math.Round(result.Values.Average(), 4) : comparable.Count > 0 ? Math.Round(comparable.Average(), 4) : null;
        return new CapabilityScoresResult(result, overall, tasksMean,
            reference is null ? Chance : Reference, reference is null ? null : relative, leftOut.Count == 0 ? null : leftOut);
    }

    /// <summary>
    /// The overall score's 95% percentile interval by a stratified bootstrap: each task's items are resampled on their own
    /// (<see cref="TaskScoring.Replicates"/>, one seed per task), and round r carries every task's r-th resampled score
    /// through the same normalisation and roll-up as <see cref="Compute"/>. Null when no task was scored.
    /// </summary>
    public static (double Low, double High)? OverallInterval(CapabilityTree tree,
        IEnumerable<(string TaskName, TaskManifest Manifest, TaskSummary Summary, double[] Replicates)> tasks, ReferenceScores? reference = null,
        double confidence = 0.95)
    {
        var parts = new List<(double[] Replicates, int[] Capabilities, Func<double, double>? Normalise)>();
        var capabilityIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, manifest, summary, replicates) in tasks)
        {
            if (summary.N == 0 || replicates.Length == 0) continue;
            var (capabilities, normalise, _) = Contribution(tree, name, manifest, summary, reference);
            if (reference is null && normalise is null && MetricCatalog.IsOverlap(summary.Metric)) continue;
            parts.Add((replicates, normalise is null ? [] : capabilities.Select(c => capabilityIndex.TryGetValue(c, out var i) ? i : capabilityIndex[c] = capabilityIndex.Count).ToArray(), normalise));
        }
        if (parts.Count == 0) return null;
        var rounds = parts.Min(p => p.Replicates.Length);
        var overall = new double[rounds];
        var sums = new double[capabilityIndex.Count];
        var counts = new int[capabilityIndex.Count];
        for (var r = 0; r < rounds; r++)
        {
            Array.Clear(sums);
            Array.Clear(counts);
            var raw = 0.0;
            foreach (var (replicates, capabilities, normalise) in parts)
            {
                raw += replicates[r];
                if (normalise is null) continue;
                var value = normalise(replicates[r]);
                foreach (var c in capabilities) { sums[c] += value; counts[c]++; }
            }
            overall[r] = capabilityIndex.Count == 0 ? raw / parts.Count : Enumerable.Range(0, sums.Length).Average(c => sums[c] / counts[c]);
        }
        Array.Sort(overall);
        var alpha = (1 - confidence) / 2;
        return (Math.Round(Benchmarks.Statistics.Quantile.OfSorted(overall, alpha), 4), Math.Round(Benchmarks.Statistics.Quantile.OfSorted(overall, 1 - alpha), 4));
    }

    /// <summary>
    /// What one scored task adds to the roll-up: its capabilities and how its score is normalised, or null (with the
    /// reason) when it counts towards none.
    /// </summary>
    private static (IReadOnlyList<string> Capabilities, Func<double, double>? Normalise, string? LeftOut) Contribution(
        CapabilityTree tree, string name, TaskManifest manifest, TaskSummary summary, ReferenceScores? reference)
    {
        var capabilities = tree.Of(name, manifest);
        if (capabilities.Count == 0) return (capabilities, null, null);
        if (reference is not null)
        {
            if (!reference.Tasks.TryGetValue(name, out var r)) return (capabilities, null, $"the reference run {reference.RunId} did not score this task");
            if (r.Version != summary.Version) return (capabilities, null, $"the reference run scored version {r.Version}, this run {summary.Version}");
            if (r.Score <= 0) return (capabilities, null, "the reference run scored 0 on this task; a ratio to it is undefined");
            return (capabilities, s => Math.Round(100 * s / r.Score, 4), null);
        }
        if (MetricCatalog.IsOverlap(summary.Metric))
            return (capabilities, null, $"{summary.Metric} is an overlap metric: it enters capabilities only relative to a reference run (CUGE's p/b)");
        if (summary.Normalised is null) return (capabilities, s => s, null);
        var chance = summary.Chance ?? 0;
        return (capabilities, s => TaskScoring.Normalise(s, chance), null);
    }
}
