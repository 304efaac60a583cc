using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Runs;

/// <summary>
/// Computes a run's summary from its stored results: the one source of truth for CLI, API and pages. Task scores as
/// <see cref="TaskScoring"/> defines them; subject averages per category (C-Eval, CMMLU) as their authors compute them;
/// capabilities from the tree in <c>datasets/capabilities.json</c> over chance-normalised task scores.
/// </summary>
public sealed class RunSummaryQuery(IDbContextFactory<EvalsDbContext> dbFactory, SuiteCatalog catalog)
{
    public async Task<RunSummary?> GetAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Include(r => r.Suite).ThenInclude(s => s!.Tasks).ThenInclude(t => t.Task)
            .FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return null;
        var rows = await db.Results.AsNoTracking().Where(r => r.RunId == runId)
            .Select(r => new { r.TaskId, r.Outcome, r.Score, r.Parsed, r.Reference, r.Details, r.TokensIn, r.TokensOut })
            .ToListAsync(cancellationToken);
        var byTask = rows.ToLookup(r => r.TaskId);
        var tree = CapabilityTree.Load(catalog.Root);

        // Per-call accounting lives in the items' details (see Jobs/CallDetails).
        var calls = await db.Database.SqlQuery<CallTotals>($"""
            select coalesce(sum((details->>'cost')::double precision), 0) as "Cost",
                   count(*) filter (where (details->>'cached')::boolean) as "Cached",
                   coalesce(avg(latency_ms), 0) as "MeanLatencyMs",
                   avg((details->>'ttft_ms')::double precision) as "MeanTtftMs"
            from results where run_id = {runId}
            """).SingleAsync(cancellationToken);

        var tasks = new SortedDictionary<string, TaskSummary>(StringComparer.Ordinal);
        var scoredTasks = new List<(string, TaskManifest, TaskSummary)>();
        var categorised = new Dictionary<string, List<(string, IReadOnlyList<string>, double)>>();
        foreach (var entry in run.Suite!.Tasks.OrderBy(t => t.Position))
        {
            var task = entry.Task!;
            var manifest = JsonSerializer.Deserialize<TaskManifest>(task.Manifest, TaskManifest.Json)!;
            var items = byTask[task.Id].Select(r => ToScoredItem(r.Outcome, r.Score, r.Parsed, r.Reference, r.Details)).ToList();
            var summary = TaskScoring.Summarise(manifest.Metric, task.Version, items);
            if (summary.Breakdown is not null) summary = summary with { BreakdownField = manifest.BreakdownField };
            tasks[task.Name] = summary;
            scoredTasks.Add((task.Name, manifest, summary));
            if (summary.N == 0) continue;
            if (manifest.Categories.Count > 0)
            {
                var suite = task.Name[..task.Name.IndexOf('/')];
                if (!categorised.TryGetValue(suite, out var list)) categorised[suite] = list = [];
                list.Add((task.Name, manifest.Categories, summary.Score));
            }
        }
        var (capabilities, overall, tasksMean) = CapabilityScores.Compute(tree, scoredTasks);
        var end = run.FinishedAt;
        var config = RunConfig.FromJson(run.Config);
        return new RunSummary
        {
            RunId = run.Id,
            Model = run.ModelName,
            Suite = run.Suite.Name,
            SuiteVersion = run.Suite.Version,
            Mode = config.Mode,
            Status = run.Status.ToString().ToLowerInvariant(),
            Tasks = tasks,
            Capabilities = capabilities,
            Overall = overall,
            TasksMean = tasksMean,
            Categories = categorised.Count == 0 ? null : new SortedDictionary<string, IReadOnlyDictionary<string, double>>(
                categorised.ToDictionary(c => c.Key, c => (IReadOnlyDictionary<string, double>)CategoryAverages.Compute(c.Value)
                    .ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 4))), StringComparer.Ordinal),
            Usage = new UsageSummary(rows.Sum(r => (long)r.TokensIn), rows.Sum(r => (long)r.TokensOut), Math.Round(calls.Cost, 6), (int)calls.Cached,
                Math.Round(calls.MeanLatencyMs, 3), calls.MeanTtftMs is { } ttft ? Math.Round(ttft, 3) : null),
            DurationS = run.StartedAt is { } start && end is { } stop ? Math.Round((stop - start).TotalSeconds, 3) : 0,
            TotalItems = run.TotalItems,
            CompletedItems = run.CompletedItems,
            FailedItems = run.FailedItems,
            Complete = run.Status == Storage.Entities.RunStatus.Succeeded && rows.Count >= run.TotalItems && rows.All(r => r.Outcome != "error"),
            Error = run.Error,
            Backend = run.BackendReport,
            Judge = config.Judge is null ? null : $"{config.JudgeName} ({config.Judge}), prompt {Evals.Benchmarks.Hallucination.HallucinationJudgePrompt.Version}",
            SelfCheck = config.SelfCheckSamples > 0
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{config.SelfCheckSamples} samples at temperature {config.SelfCheckTemperature}") : null,
            SelfConsistency = config.Samples > 0
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"majority vote of {config.Samples} samples per numeric-answer item at temperature {config.Decoding.Temperature}")
                : null,
            RescoredFrom = run.RescoredFrom,
        };
    }

    private static string? KindOf(string? details)
    {
        if (details is null || !details.Contains("\"kind\"", StringComparison.Ordinal)) return null;
        using var document = JsonDocument.Parse(details);
        return document.RootElement.TryGetProperty(Hallucination.HallucinationScoring.KindKey, out var kind) && kind.ValueKind == JsonValueKind.String
            ? kind.GetString() : null;
    }

    /// <summary>A stored result as <see cref="TaskScoring.Summarise"/> reads it.</summary>
    public static ScoredItem ToScoredItem(string outcome, double score, string? parsed, string? reference, string? details) =>
        new(OutcomeNames.Parse(outcome), score, parsed, reference, ItemDetails.Numbers(details), RuleOf(details), KindOf(details), GroupOf(details));

    private static string? GroupOf(string? details)
    {
        if (details is null || !details.Contains("\"group\"", StringComparison.Ordinal)) return null;
        using var document = JsonDocument.Parse(details);
        return document.RootElement.TryGetProperty(ItemDetails.Group, out var group) && group.ValueKind == JsonValueKind.String ? group.GetString() : null;
    }

    private static string? RuleOf(string? details)
    {
        if (details is null || !details.Contains("\"rule\"", StringComparison.Ordinal)) return null;
        using var document = JsonDocument.Parse(details);
        return document.RootElement.TryGetProperty(ItemDetails.Rule, out var rule) ? rule.GetString() : null;
    }
}

internal sealed record CallTotals(double Cost, long Cached, double MeanLatencyMs, double? MeanTtftMs);
