using System.Text.Json;
using Evals.Benchmarks.Suites;
using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Runner.Leaderboards;
using Microsoft.EntityFrameworkCore;

namespace Evals.LeaderboardRender;

/// <summary>
/// The straightforward way to build the same leaderboard: for each model a query for its latest run, then for each task
/// a query for that cell's items, each summarised with <see cref="TaskScoring.Summarise"/> and rolled up with
/// <see cref="CapabilityScores"/>. The reference the benchmark compares against; its figures must equal the page's.
/// </summary>
public static class ReferenceLoop
{
    public sealed record Row(string Model, double Overall, IReadOnlyDictionary<string, TaskSummary> Tasks);

    public static async Task<List<Row>> BuildAsync(string connectionString, string suite, CapabilityTree tree, CancellationToken cancellationToken)
    {
        await using var db = Migrator.CreateContext(connectionString);
        var rows = new List<Row>();
        var models = await db.Runs.AsNoTracking().Where(r => r.Suite!.Name == suite && r.Status == RunStatus.Succeeded)
            .Select(r => r.ModelName).Distinct().ToListAsync(cancellationToken);
        foreach (var model in models)
        {
            var run = await db.Runs.AsNoTracking().Where(r => r.ModelName == model && r.Suite!.Name == suite && r.Status == RunStatus.Succeeded)
                .OrderByDescending(r => r.FinishedAt).FirstAsync(cancellationToken);
            var tasks = await db.SuiteTasks.AsNoTracking().Where(t => t.SuiteId == run.SuiteId).OrderBy(t => t.Position)
                .Select(t => new { t.TaskId, t.Task!.Name, t.Task.Version, t.Task.Manifest }).ToListAsync(cancellationToken);
            var summaries = new List<(string, TaskManifest, TaskSummary)>();
            foreach (var task in tasks)
            {
                var items = await db.Results.AsNoTracking().Where(r => r.RunId == run.Id && r.TaskId == task.TaskId)
                    .Select(r => new { r.Outcome, r.Score, r.Parsed, r.Reference, r.Details }).ToListAsync(cancellationToken);
                var manifest = JsonSerializer.Deserialize<TaskManifest>(task.Manifest, TaskManifest.Json)!;
                var summary = TaskScoring.Summarise(manifest.Metric, task.Version,
                    items.Select(i => RunSummaryQuery.ToScoredItem(i.Outcome, i.Score, i.Parsed, i.Reference, i.Details)).ToList());
                summaries.Add((task.Name, manifest, summary));
            }
            rows.Add(new Row(model, CapabilityScores.Compute(tree, summaries).Overall ?? double.NaN, summaries.ToDictionary(s => s.Item1, s => s.Item3)));
        }
        return rows;
    }

    /// <summary>The first difference between the leaderboard and the reference, or null when every figure agrees.</summary>
    public static string? FirstDifference(Leaderboard board, IReadOnlyList<Row> reference)
    {
        if (board.Rows.Count != reference.Count) return $"{board.Rows.Count} rows against {reference.Count}";
        var byModel = reference.ToDictionary(r => r.Model);
        foreach (var row in board.Rows)
        {
            if (!byModel.TryGetValue(row.Model, out var expected)) return $"{row.Model}: not in the reference";
            if (row.Overall != expected.Overall) return $"{row.Model}: overall {row.Overall} against {expected.Overall}";
            foreach (var (task, summary) in expected.Tasks)
            {
                if (!row.Tasks.TryGetValue(task, out var cell)) return $"{row.Model} {task}: missing";
                if (cell.Score != summary.Score || cell.CiLow != summary.CiLow || cell.CiHigh != summary.CiHigh || cell.N != summary.N || cell.Normalised != summary.Normalised)
                    return $"{row.Model} {task}: {cell.Score} [{cell.CiLow}, {cell.CiHigh}] n={cell.N} against {summary.Score} [{summary.CiLow}, {summary.CiHigh}] n={summary.N}";
            }
        }
        return null;
    }
}
