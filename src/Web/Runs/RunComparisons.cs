using System.Text.Json;
using Evals.Benchmarks.Statistics;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Web.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Runs;

public sealed record ComparedRun(Guid Id, string Model, string Suite, string SuiteVersion, DateTimeOffset? FinishedAt);

/// <summary>One task (or the mean of tasks) for runs A and B on the same items: A − B with its 95% paired-bootstrap interval and test.</summary>
public sealed record TaskComparison(string Task, string Metric, int N, double ScoreA, double ScoreB, double Difference, double CiLow, double CiHigh,
    string Test, double PValue, int Disagreements)
{
    public bool Significant => PValue < 0.05;
}

/// <summary>An item the two runs scored differently.</summary>
public sealed record DisagreeingItem(string Task, string ItemKey, string? Prompt, string? Reference,
    string? ParsedA, string? OutputA, string OutcomeA, double ScoreA, string? ParsedB, string? OutputB, string OutcomeB, double ScoreB);

public sealed record RunComparison(ComparedRun A, ComparedRun B, IReadOnlyList<TaskComparison> Tasks, TaskComparison Overall,
    IReadOnlyList<string> Notes, IReadOnlyList<DisagreeingItem> Disagreements, int TotalDisagreements);

/// <summary>Two runs cannot be compared; the message names the run (a or b) and why. <see cref="NotFound"/>: a run does not exist.</summary>
public sealed class RunComparisonException(string field, string message, bool notFound = false) : Exception(message)
{
    public string Field { get; } = field;
    public bool NotFound { get; } = notFound;
}

/// <summary>
/// Compares two succeeded runs of the same suite version item by item: per task the two scores and the paired difference
/// A − B with the gate's statistics (<see cref="PairedComparison"/>: paired bootstrap interval, McNemar for accuracy-type
/// tasks), the mean of the task scores likewise (stratified by task), and the items they scored differently. Items are
/// paired by (task, item key); an item either run failed with an error is left out and said so. Only succeeded runs are
/// compared and their results never change, so a comparison is computed once and then served from the cache.
/// </summary>
public sealed class RunComparisons(IDbContextFactory<EvalsDbContext> dbFactory, ComputedResultCache cache)
{
    public const int Rounds = 10_000;

    public async Task<RunComparison> CompareAsync(Guid a, Guid b, int maxItems = 200, CancellationToken cancellationToken = default)
    {
        // One computation serves the API's short list and the page's long one.
        var full = await cache.GetOrComputeAsync("comparison", $"{a}:{b}", () => ComputeAsync(a, b, CancellationToken.None), cancellationToken);
        return full.Disagreements.Count <= maxItems ? full : full with { Disagreements = full.Disagreements.Take(maxItems).ToList() };
    }

    private async Task<RunComparison> ComputeAsync(Guid a, Guid b, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var runA = await FinishedAsync(db, a, "a", cancellationToken);
        var runB = await FinishedAsync(db, b, "b", cancellationToken);
        if (runA.SuiteId != runB.SuiteId)
            throw new RunComparisonException("b", $"the runs evaluated different suite versions: a {runA.Suite!.Name}@{Short(runA.Suite.Version)}, " +
                $"b {runB.Suite!.Name}@{Short(runB.Suite.Version)}; only runs of the same version are compared item by item");

        var tasks = await db.SuiteTasks.AsNoTracking().Where(t => t.SuiteId == runA.SuiteId).OrderBy(t => t.Position)
            .Select(t => new { t.TaskId, t.Task!.Name, t.Task.Manifest }).ToListAsync(cancellationToken);
        var rows = await db.Results.AsNoTracking().Where(r => r.RunId == a || r.RunId == b)
            .Select(r => new { r.RunId, r.TaskId, r.ItemKey, r.Prompt, r.RawOutput, r.Parsed, r.Reference, r.Outcome, r.Score })
            .ToListAsync(cancellationToken);
        var byKey = rows.ToLookup(r => (r.RunId, r.TaskId));

        var notes = new List<string>();
        var paired = new List<PairedTask>();
        var disagreements = new List<DisagreeingItem>();
        var disagreeing = new List<int>();
        foreach (var task in tasks)
        {
            var ofA = byKey[(a, task.TaskId)].ToDictionary(r => r.ItemKey, StringComparer.Ordinal);
            var ofB = byKey[(b, task.TaskId)].ToDictionary(r => r.ItemKey, StringComparer.Ordinal);
            var keys = ofA.Keys.Where(ofB.ContainsKey).Order(StringComparer.Ordinal).ToList();
            var errored = keys.Count(k => ofA[k].Outcome == "error" || ofB[k].Outcome == "error");
            if (errored > 0) notes.Add($"{task.Name}: {errored} item(s) failed with an error in one of the runs and are left out");
            var unmatched = ofA.Count + ofB.Count - 2 * keys.Count;
            if (unmatched > 0) notes.Add($"{task.Name}: {unmatched} item(s) were scored by only one of the runs and are left out");
            keys = keys.Where(k => ofA[k].Outcome != "error" && ofB[k].Outcome != "error").ToList();
            if (keys.Count == 0)
            {
                notes.Add($"{task.Name}: no item scored by both runs");
                continue;
            }
            var metric = JsonDocument.Parse(task.Manifest).RootElement.TryGetProperty("metric", out var m) ? m.GetString() ?? "accuracy" : "accuracy";
            paired.Add(new PairedTask(task.Name, metric, keys.Select(k => ofA[k].Score).ToArray(), keys.Select(k => ofB[k].Score).ToArray()));
            var differing = 0;
            foreach (var key in keys)
            {
                var (x, y) = (ofA[key], ofB[key]);
                if (x.Score == y.Score && x.Outcome == y.Outcome) continue;
                differing++;
                disagreements.Add(new DisagreeingItem(task.Name, key, x.Prompt, x.Reference, x.Parsed, x.RawOutput, x.Outcome, x.Score,
                    y.Parsed, y.RawOutput, y.Outcome, y.Score));
            }
            disagreeing.Add(differing);
        }
        if (paired.Count == 0) throw new RunComparisonException("b", "the runs have no item scored by both");

        var (perTask, overall) = PairedComparison.All(paired, Rounds);
        var comparisons = perTask.Select((d, i) => ToComparison(d, disagreeing[i])).ToList();
        return new RunComparison(Side(runA), Side(runB), comparisons, ToComparison(overall, disagreeing.Sum()) with { Task = "mean of tasks" },
            notes, disagreements, disagreements.Count);
    }

    private static TaskComparison ToComparison(PairedDifference d, int disagreements) => new(d.Name, d.Metric, d.N, Math.Round(d.MeanA, 4),
        Math.Round(d.MeanB, 4), Math.Round(d.Difference, 4), Math.Round(d.CiLow, 4), Math.Round(d.CiHigh, 4), d.Test, d.PValue, disagreements);

    private static async Task<Run> FinishedAsync(EvalsDbContext db, Guid id, string field, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Include(r => r.Suite).FirstOrDefaultAsync(r => r.Id == id, cancellationToken)
            ?? throw new RunComparisonException(field, $"{field}: no run has the id {id}", notFound: true);
        if (run.Status != RunStatus.Succeeded)
            throw new RunComparisonException(field, $"{field}: run {id} is {run.Status.ToString().ToLowerInvariant()}, not succeeded; only finished runs are compared");
        return run;
    }

    private static ComparedRun Side(Run run) => new(run.Id, run.ModelName, run.Suite!.Name, run.Suite.Version, run.FinishedAt);

    private static string Short(string version) => version[..Math.Min(12, version.Length)];
}
