using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Runs;

/// <summary>Computes a run's summary from its stored results: the one source of truth for CLI, API and pages.</summary>
public sealed class RunSummaryQuery(IDbContextFactory<EvalsDbContext> dbFactory)
{
    public async Task<RunSummary?> GetAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Include(r => r.Suite).ThenInclude(s => s!.Tasks).ThenInclude(t => t.Task)
            .FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return null;
        var counts = await db.Results.Where(r => r.RunId == runId)
            .GroupBy(r => new { r.TaskId, r.Outcome })
            .Select(g => new { g.Key.TaskId, g.Key.Outcome, Count = g.Count(), In = g.Sum(r => (long)r.TokensIn), Out = g.Sum(r => (long)r.TokensOut) })
            .ToListAsync(cancellationToken);

        // Per-call accounting lives in the items' details (see Jobs/CallDetails).
        var calls = await db.Database.SqlQuery<CallTotals>($"""
            select coalesce(sum((details->>'cost')::double precision), 0) as "Cost",
                   count(*) filter (where (details->>'cached')::boolean) as "Cached",
                   coalesce(avg(latency_ms), 0) as "MeanLatencyMs",
                   avg((details->>'ttft_ms')::double precision) as "MeanTtftMs"
            from results where run_id = {runId}
            """).SingleAsync(cancellationToken);

        var tasks = new SortedDictionary<string, TaskSummary>(StringComparer.Ordinal);
        var capabilityScores = new Dictionary<string, List<double>>();
        foreach (var entry in run.Suite!.Tasks.OrderBy(t => t.Position))
        {
            var task = entry.Task!;
            var manifest = JsonSerializer.Deserialize<TaskManifest>(task.Manifest, TaskManifest.Json)!;
            var outcomes = counts.Where(c => c.TaskId == task.Id)
                .SelectMany(c => Enumerable.Repeat(OutcomeNames.Parse(c.Outcome), c.Count));
            var score = Accuracy.Compute(outcomes);
            tasks[task.Name] = new TaskSummary(score.Metric, score.Score, score.N, score.CiLow, score.CiHigh, score.Outcomes, task.Version);
            if (score.N == 0) continue;
            foreach (var capability in manifest.Capabilities)
            {
                if (!capabilityScores.TryGetValue(capability, out var list)) capabilityScores[capability] = list = [];
                list.Add(score.Score);
            }
        }
        var scored = tasks.Values.Where(t => t.N > 0).ToList();
        var end = run.FinishedAt;
        return new RunSummary
        {
            RunId = run.Id,
            Model = run.ModelName,
            Suite = run.Suite.Name,
            SuiteVersion = run.Suite.Version,
            Mode = RunConfig.FromJson(run.Config).Mode,
            Status = run.Status.ToString().ToLowerInvariant(),
            Tasks = tasks,
            Capabilities = new SortedDictionary<string, double>(capabilityScores.ToDictionary(c => c.Key, c => Math.Round(c.Value.Average(), 4)), StringComparer.Ordinal),
            Overall = scored.Count == 0 ? 0 : Math.Round(scored.Average(t => t.Score), 4),
            Usage = new UsageSummary(counts.Sum(c => c.In), counts.Sum(c => c.Out), Math.Round(calls.Cost, 6), (int)calls.Cached,
                Math.Round(calls.MeanLatencyMs, 3), calls.MeanTtftMs is { } ttft ? Math.Round(ttft, 3) : null),
            DurationS = run.StartedAt is { } start && end is { } stop ? Math.Round((stop - start).TotalSeconds, 3) : 0,
            TotalItems = run.TotalItems,
            CompletedItems = run.CompletedItems,
            FailedItems = run.FailedItems,
            Error = run.Error,
            Backend = run.BackendReport,
        };
    }
}

internal sealed record CallTotals(double Cost, long Cached, double MeanLatencyMs, double? MeanTtftMs);
