using Evals.Benchmarks.Statistics;
using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Gate;

/// <summary>A finished run the gate compares: which run, which model, on which suite version.</summary>
public sealed record GateSide(Guid RunId, string Model, Guid? ModelId, string Suite, string SuiteVersion, bool Reused);

/// <summary>A task's paired scores, and how many items were left out of the pairing and why.</summary>
public sealed record PairedScores(IReadOnlyList<PairedTask> Tasks, IReadOnlyList<string> Notes);

/// <summary>The runs can not be compared (a run failed, items errored, no common items): exit code 2, never a pass.</summary>
public sealed class GateIncompleteException(string message) : Exception(message);

/// <summary>
/// The database side of the gate and of prompt A/B tests: existing runs to reuse, a family's accepted checkpoint, and the
/// per-item scores of finished runs paired by item key.
/// </summary>
public sealed class GateRuns(IDbContextFactory<EvalsDbContext> dbFactory, TimeProvider time)
{
    public const string LatestAccepted = "latest-accepted";

    /// <summary>A run named by id, as a side of the comparison; it must have succeeded.</summary>
    public async Task<GateSide> FinishedRunAsync(Guid runId, string role, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Include(r => r.Suite).FirstOrDefaultAsync(r => r.Id == runId, cancellationToken)
            ?? throw new BadInputException($"--{role}: no run with id {runId}");
        if (run.Status != RunStatus.Succeeded)
            throw new BadInputException($"--{role}: run {runId} is {run.Status.ToString().ToLowerInvariant()}, not succeeded{(run.Error is null ? "" : $" ({run.Error})")}");
        return new GateSide(run.Id, run.ModelName, run.ModelId, run.Suite!.Name, run.Suite.Version, Reused: true);
    }

    /// <summary>
    /// The newest succeeded run with no failed items of this model (matched by spec, so a registered name and its spec
    /// share runs) on exactly this suite version with the same limit, shots, mode and seed and no prompt override.
    /// </summary>
    public async Task<GateSide?> ReusableRunAsync(string spec, string suite, string version, RunConfig want, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var candidates = await db.Runs.AsNoTracking().Include(r => r.Suite)
            .Where(r => r.ModelSpec == spec && r.Status == RunStatus.Succeeded && r.FailedItems == 0
                && r.Suite!.Name == suite && r.Suite.Version == version)
            .OrderByDescending(r => r.FinishedAt).Take(50).ToListAsync(cancellationToken);
        var match = candidates.FirstOrDefault(r =>
        {
            var c = RunConfig.FromJson(r.Config);
            return c.Limit == want.Limit && c.Shots == want.Shots && c.Mode == want.Mode && c.Seed == want.Seed && c.PromptTemplates is null
                && c.Decoding == want.Decoding;
        });
        return match is null ? null : new GateSide(match.Id, match.ModelName, match.ModelId, match.Suite!.Name, match.Suite.Version, Reused: true);
    }

    /// <summary>The registered model a candidate names: by name, or the model of a run.</summary>
    public async Task<Model?> RegisteredAsync(string nameOrSpec, Guid? modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (modelId is { } id) return await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, cancellationToken);
        return await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Name == nameOrSpec.Trim(), cancellationToken);
    }

    /// <summary>The family's most recently accepted checkpoint other than <paramref name="except"/>.</summary>
    public async Task<Model> LatestAcceptedAsync(Model candidate, CancellationToken cancellationToken = default)
    {
        if (candidate.Family is null)
            throw new BadInputException($"--baseline {LatestAccepted}: candidate '{candidate.Name}' has no family (register it with `evals models add --family`)");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Models.AsNoTracking()
                .Where(m => m.Family == candidate.Family && m.AcceptedAt != null && m.Id != candidate.Id)
                .OrderByDescending(m => m.AcceptedAt).FirstOrDefaultAsync(cancellationToken)
            ?? throw new BadInputException($"--baseline {LatestAccepted}: family '{candidate.Family}' has no accepted checkpoint besides '{candidate.Name}' (accept one with `evals models accept NAME`)");
    }

    /// <summary>Marks a registered model as its family's latest accepted checkpoint.</summary>
    public async Task AcceptAsync(Guid modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await db.Models.Where(m => m.Id == modelId).ExecuteUpdateAsync(s => s.SetProperty(m => m.AcceptedAt, now), cancellationToken);
    }

    /// <summary>The suite's task names in order, for a stored suite version.</summary>
    public async Task<IReadOnlyList<string>> TaskNamesAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var suiteId = await db.Runs.Where(r => r.Id == runId).Select(r => r.SuiteId).SingleAsync(cancellationToken);
        return await db.SuiteTasks.Where(t => t.SuiteId == suiteId).OrderBy(t => t.Position).Select(t => t.Task!.Name).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Per-item scores of several runs of one suite version, aligned by (task, item key) over the items every run scored.
    /// An item with outcome <c>error</c> in any run means that run did not complete: the comparison is refused rather
    /// than made over fewer items. Unparseable and refused items keep their score of 0: a model that stops answering
    /// must not pass. Returns, per task, the item keys and one score array per run.
    /// </summary>
    public async Task<IReadOnlyList<(string Task, string Metric, IReadOnlyList<string> Keys, IReadOnlyList<double[]> Scores)>> AlignedScoresAsync(
        IReadOnlyList<(Guid RunId, string Label)> runs, IReadOnlyCollection<string>? onlyTasks, List<string> notes, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ids = runs.Select(r => r.RunId).ToList();
        var suiteIds = await db.Runs.Where(r => ids.Contains(r.Id)).Select(r => r.SuiteId).Distinct().ToListAsync(cancellationToken);
        if (suiteIds.Count != 1) throw new BadInputException("the runs evaluated different suite versions; only runs of the same version can be compared");
        var tasks = await db.SuiteTasks.Where(t => t.SuiteId == suiteIds[0]).OrderBy(t => t.Position)
            .Select(t => new { t.TaskId, t.Task!.Name, t.Task.Manifest }).ToListAsync(cancellationToken);
        var rows = await db.Results.AsNoTracking().Where(r => ids.Contains(r.RunId))
            .Select(r => new { r.RunId, r.TaskId, r.ItemKey, r.Outcome, r.Score }).ToListAsync(cancellationToken);
        var errors = rows.Where(r => r.Outcome == "error").GroupBy(r => r.RunId).ToList();
        if (errors.Count > 0)
        {
            var first = errors[0];
            var label = runs.First(r => r.RunId == first.Key).Label;
            throw new GateIncompleteException($"{label} run {first.Key} has {first.Count()} item(s) that failed with errors; retry them (`evals runs retry {first.Key}`) before comparing");
        }
        var result = new List<(string, string, IReadOnlyList<string>, IReadOnlyList<double[]>)>();
        foreach (var task in tasks)
        {
            if (onlyTasks is not null && !onlyTasks.Contains(task.Name)) continue;
            var metric = System.Text.Json.JsonDocument.Parse(task.Manifest).RootElement.TryGetProperty("metric", out var m) ? m.GetString() ?? "accuracy" : "accuracy";
            var perRun = ids.Select(id => rows.Where(r => r.RunId == id && r.TaskId == task.TaskId).ToDictionary(r => r.ItemKey, r => r.Score, StringComparer.Ordinal)).ToList();
            var keys = perRun[0].Keys.Where(k => perRun.All(p => p.ContainsKey(k))).Order(StringComparer.Ordinal).ToList();
            if (keys.Count == 0)
                throw new GateIncompleteException($"task {task.Name}: no item was scored by all runs ({string.Join(", ", runs.Select((r, i) => $"{r.Label} {perRun[i].Count}"))} items)");
            for (var i = 0; i < runs.Count; i++)
                if (perRun[i].Count > keys.Count)
                    notes.Add($"{task.Name}: {perRun[i].Count - keys.Count} item(s) of the {runs[i].Label} run have no counterpart and are left out");
            result.Add((task.Name, metric, keys, perRun.Select(p => keys.Select(k => p[k]).ToArray()).ToList()));
        }
        return result;
    }
}
