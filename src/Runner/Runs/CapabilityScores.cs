using Evals.Benchmarks.Suites;

namespace Evals.Runner.Runs;

/// <summary>A run's capability scores, its overall score and the plain mean of its task scores.</summary>
public sealed record CapabilityScoresResult(SortedDictionary<string, double> Capabilities, double Overall, double TasksMean);

/// <summary>
/// How a run's task scores roll up (README, "capabilities"): each scored task's chance-normalised score counts towards
/// the capabilities the tree gives it, a capability is the mean of its tasks, overall the mean of the capabilities (the
/// mean of the raw task scores when no task has a capability). The run summary and the leaderboard both use this.
/// </summary>
public static class CapabilityScores
{
    public static CapabilityScoresResult Compute(CapabilityTree tree, IEnumerable<(string TaskName, TaskManifest Manifest, TaskSummary Summary)> tasks)
    {
        var perCapability = new Dictionary<string, List<double>>();
        var scored = new List<double>();
        foreach (var (name, manifest, summary) in tasks)
        {
            if (summary.N == 0) continue;
            scored.Add(summary.Score);
            foreach (var capability in tree.Of(name, manifest))
            {
                if (!perCapability.TryGetValue(capability, out var list)) perCapability[capability] = list = [];
                list.Add(summary.Normalised ?? summary.Score);
            }
        }
        var capabilities = new SortedDictionary<string, double>(perCapability.ToDictionary(c => c.Key, c => Math.Round(c.Value.Average(), 4)), StringComparer.Ordinal);
        var tasksMean = scored.Count == 0 ? 0 : Math.Round(scored.Average(), 4);
        return new CapabilityScoresResult(capabilities, capabilities.Count > 0 ? Math.Round(capabilities.Values.Average(), 4) : tasksMean, tasksMean);
    }
}
