using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;
using Evals.Runner.Runs;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Evals.Runner.Leaderboards;

/// <summary>
/// The leaderboard, computed per request from finished runs: per model its latest succeeded run on the suite (within the
/// date window), and per run the scores its run summary gives — task scores as <see cref="TaskScoring"/> defines them,
/// capabilities and overall as <see cref="CapabilityScores"/> rolls them up. Five queries whatever the size: runs, task
/// lists, the runs' outcome counts per task (accuracy tasks need nothing more:
/// <see cref="TaskScoring.SummariseAccuracyCounts"/>), and the items of tasks with another metric (EM/F1, macro-F1),
/// which are summarised from their items exactly as the run page does. The counts are read from
/// <c>run_task_counts</c>, which the database fills when a run ends (migration RunTaskCounts); only a run written as
/// finished without a status change (<c>runs.task_counts_stored</c> false) is counted from its result rows.
/// </summary>
public sealed class LeaderboardQueries(IDbContextFactory<EvalsDbContext> dbFactory, SuiteCatalog catalog, RunSummaryQuery summaries)
{
    public async Task<Leaderboard> GetAsync(LeaderboardFilter filter, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var suites = await db.Suites.AsNoTracking().Select(s => s.Name).Distinct().OrderBy(n => n).ToListAsync(cancellationToken);
        var families = await db.Models.AsNoTracking().Where(m => m.Family != null).Select(m => m.Family!).Distinct().OrderBy(f => f).ToListAsync(cancellationToken);
        var suite = filter.Suite ?? await db.Runs.AsNoTracking().Where(r => r.Status == Storage.Entities.RunStatus.Succeeded)
            .OrderByDescending(r => r.FinishedAt).Select(r => r.Suite!.Name).FirstOrDefaultAsync(cancellationToken);
        var empty = new Leaderboard(suite, suites, null, null, [], [], families, [], filter);
        if (suite is null) return empty;

        // The suite's current version is the newest one stored: a submitted run stores the version its files hash to.
        var current = await db.Suites.AsNoTracking().Where(s => s.Name == suite).OrderByDescending(s => s.CreatedAt)
            .Select(s => new { s.Id, s.Version, s.CreatedAt }).FirstOrDefaultAsync(cancellationToken);
        if (current is null) return empty;

        var runs = await LatestRunsAsync(db, suite, filter, current.Id, cancellationToken);
        var suiteIds = runs.Select(r => r.SuiteId).Append(current.Id).Distinct().ToArray();
        var suiteTasks = await db.SuiteTasks.AsNoTracking().Where(t => suiteIds.Contains(t.SuiteId)).OrderBy(t => t.Position)
            .Select(t => new { t.SuiteId, t.TaskId, t.Task!.Name, t.Task.Version, t.Task.Manifest }).ToListAsync(cancellationToken);
        var manifests = suiteTasks.DistinctBy(t => t.TaskId)
            .ToDictionary(t => t.TaskId, t => JsonSerializer.Deserialize<TaskManifest>(t.Manifest, TaskManifest.Json)!);
        var currentTasks = suiteTasks.Where(t => t.SuiteId == current.Id).ToDictionary(t => t.Name, t => t.Version, StringComparer.Ordinal);

        var runIds = runs.Select(r => r.RunId).ToArray();
        var counts = await OutcomeCountsAsync(db, runs.Where(r => r.CountsStored).Select(r => r.RunId).ToArray(),
            runs.Where(r => !r.CountsStored).Select(r => r.RunId).ToArray(), cancellationToken);
        var otherMetric = manifests.Where(m => m.Value.Metric != Accuracy.Name).Select(m => m.Key).ToArray();
        var itemsOfOtherMetric = (otherMetric.Length == 0 || runIds.Length == 0 ? [] : await db.Results.AsNoTracking()
                .Where(r => runIds.Contains(r.RunId) && otherMetric.Contains(r.TaskId))
                .Select(r => new { r.RunId, r.TaskId, r.Outcome, r.Score, r.Parsed, r.Reference, r.Details }).ToListAsync(cancellationToken))
            .ToLookup(r => (r.RunId, r.TaskId), r => RunSummaryQuery.ToScoredItem(r.Outcome, r.Score, r.Parsed, r.Reference, r.Details));

        var tree = CapabilityTree.Load(catalog.Root);
        var overallOf = catalog.ViewOf(suite)?.OverallOf;
        // CUGE-style: with a reference model named for the suite, capabilities average percentages of its scores.
        var (reference, _) = await summaries.ReferenceAsync(suite, null, cancellationToken);
        var tasksBySuite = suiteTasks.ToLookup(t => t.SuiteId);
        var rows = new List<LeaderboardRow>(runs.Count);
        foreach (var run in runs)
        {
            var scored = new List<(string, TaskManifest, TaskSummary)>();
            var replicates = new List<(string, TaskManifest, TaskSummary, double[])>();
            var cachedInterval = OverallIntervals.TryGetValue((run.RunId, reference?.RunId), out var known);
            var cells = new Dictionary<string, LeaderboardCell>(StringComparer.Ordinal);
            var items = 0;
            var errors = 0;
            foreach (var task in tasksBySuite[run.SuiteId])
            {
                var manifest = manifests[task.TaskId];
                TaskSummary summary;
                if (manifest.Metric == Accuracy.Name)
                {
                    var c = counts.GetValueOrDefault((run.RunId, task.TaskId)) ?? OutcomeCounts.None;
                    items += c.Total;
                    errors += c.Error;
                    summary = TaskScoring.SummariseAccuracyCounts(task.Version, c.ToDictionary(), c.Chance);
                    if (!cachedInterval) replicates.Add((task.Name, manifest, summary, summary.N == 0 ? [] : TaskScoring.ShareReplicates(summary.N, summary.Score, TaskScoring.SeedOf(task.Name))));
                }
                else
                {
                    var scoredItems = itemsOfOtherMetric[(run.RunId, task.TaskId)].ToList();
                    items += scoredItems.Count;
                    errors += scoredItems.Count(i => i.Outcome == Outcome.Error);
                    summary = TaskScoring.Summarise(manifest.Metric, task.Version, scoredItems);
                    if (!cachedInterval) replicates.Add((task.Name, manifest, summary, TaskScoring.Replicates(manifest.Metric, scoredItems, summary, TaskScoring.SeedOf(task.Name))));
                }
                scored.Add((task.Name, manifest, summary));
                if (summary.N == 0) continue;
                cells[task.Name] = new LeaderboardCell(summary.Metric, summary.Score, summary.N, summary.CiLow, summary.CiHigh, summary.Chance,
                    summary.Normalised, task.Version, !currentTasks.TryGetValue(task.Name, out var now) || now != task.Version);
            }
            var rollUp = CapabilityScores.Compute(tree, scored, reference);
            var subjects = scored.Where(t => t.Item3.N > 0 && t.Item2.Categories.Count > 0 && t.Item1.StartsWith(suite + "/", StringComparison.Ordinal))
                .Select(t => (t.Item1, (IReadOnlyList<string>)t.Item2.Categories, t.Item3.Score)).ToList();
            var categories = subjects.Count == 0 ? null
                : CategoryAverages.Compute(subjects, overallOf).ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 4), StringComparer.Ordinal);
            if (!cachedInterval)
            {
                known = CapabilityScores.OverallInterval(tree, replicates, reference);
                if (OverallIntervals.Count < MaxCachedIntervals) OverallIntervals[(run.RunId, reference?.RunId)] = known;
            }
            rows.Add(new LeaderboardRow(run.RunId, run.Model, run.Spec, run.Family, run.Checkpoint, run.ModelCreatedAt, run.AcceptedAt is not null,
                run.ModelId is null ? BaselineOf(run.Spec) : null, run.Version, run.SuiteId != current.Id, run.FinishedAt, items, rollUp.Overall, rollUp.TasksMean,
                rollUp.Capabilities, cells, Complete: errors == 0, known?.Low, known?.High, categories));
        }

        var taskColumns = suiteTasks.Where(t => t.SuiteId == current.Id).Select(t => t.Name)
            .Concat(suiteTasks.Where(t => t.SuiteId != current.Id).Select(t => t.Name)).Distinct(StringComparer.Ordinal).ToList();
        var treeOrder = tree.Capabilities.Select((c, i) => (c.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var capabilityColumns = rows.SelectMany(r => r.Capabilities.Keys).Distinct()
            .OrderBy(c => treeOrder.GetValueOrDefault(c, int.MaxValue)).ThenBy(c => c, StringComparer.Ordinal).ToList();
        return new Leaderboard(suite, suites, current.Version, current.CreatedAt, taskColumns, capabilityColumns, families, Sort(rows, filter), filter,
            catalog.ViewOf(suite)?.Columns);
    }

    // A finished run's results never change (a re-scoring is a new run), so its overall interval — 1,000 bootstrap rounds
    // per task — is computed once per process and reference.
    private const int MaxCachedIntervals = 100_000;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Guid Run, Guid? Reference), (double Low, double High)?> OverallIntervals = new();

    /// <summary><c>random</c> for <c>baseline:random?seed=3</c>; null for any other model. (A registered model is a contender
    /// whatever its spec: tests and drills register baselines under names to stand in for real models.)</summary>
    public static string? BaselineOf(string spec)
    {
        const string scheme = "baseline:";
        if (!spec.StartsWith(scheme, StringComparison.Ordinal)) return null;
        var rest = spec[scheme.Length..];
        var query = rest.IndexOf('?');
        return query < 0 ? rest : rest[..query];
    }

    private static List<LeaderboardRow> Sort(List<LeaderboardRow> rows, LeaderboardFilter filter)
    {
        // Rows without the sorted value (a task the model's version lacked) go last in either direction.
        double? Value(LeaderboardRow r) => filter.Sort switch
        {
            "overall" => r.Overall,
            "date" => r.RunDate.ToUnixTimeMilliseconds(),
            "items" => r.Items,
            _ when filter.Sort.StartsWith("task:", StringComparison.Ordinal) => r.Tasks.TryGetValue(filter.Sort[5..], out var c) ? c.Score : null,
            _ when filter.Sort.StartsWith("cap:", StringComparison.Ordinal) => r.Capabilities.TryGetValue(filter.Sort[4..], out var v) ? v : null,
            _ when filter.Sort.StartsWith("cat:", StringComparison.Ordinal) => r.Categories?.TryGetValue(filter.Sort[4..], out var c) == true ? c : null,
            _ => null,
        };
        if (filter.Sort == "model")
            return (filter.Descending ? rows.OrderByDescending(r => r.Model, StringComparer.Ordinal) : rows.OrderBy(r => r.Model, StringComparer.Ordinal)).ToList();
        var keyed = rows.Select(r => (Row: r, Value: Value(r))).ToList();
        var present = keyed.Where(k => k.Value is not null);
        var ordered = filter.Descending ? present.OrderByDescending(k => k.Value) : present.OrderBy(k => k.Value);
        return ordered.ThenBy(k => k.Row.Model, StringComparer.Ordinal).Concat(keyed.Where(k => k.Value is null).OrderBy(k => k.Row.Model, StringComparer.Ordinal))
            .Select(k => k.Row).ToList();
    }

    private static async Task<List<LatestRun>> LatestRunsAsync(EvalsDbContext db, string suite, LeaderboardFilter filter, Guid currentSuiteId,
        CancellationToken cancellationToken)
    {
        // DISTINCT ON keeps the first row per model in the ORDER BY: its newest succeeded run on this suite.
        var conditions = new List<string> { "r.status = 'succeeded'", "s.name = @suite" };
        var parameters = new List<NpgsqlParameter> { new("suite", NpgsqlDbType.Text) { Value = suite } };
        if (filter.Family is { } family)
        {
            conditions.Add("m.family = @family");
            parameters.Add(new("family", NpgsqlDbType.Text) { Value = family });
        }
        if (filter.From is { } from)
        {
            conditions.Add("r.finished_at >= @from");
            parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) });
        }
        if (filter.To is { } to)
        {
            conditions.Add("r.finished_at < @to");
            parameters.Add(new("to", NpgsqlDbType.TimestampTz) { Value = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) });
        }
        if (filter.CurrentVersionOnly)
        {
            conditions.Add("r.suite_id = @current");
            parameters.Add(new("current", NpgsqlDbType.Uuid) { Value = currentSuiteId });
        }
        var sql = $"""
            select distinct on (r.model_name)
                   r.id as "RunId", r.model_name as "Model", r.model_spec as "Spec", r.model_id as "ModelId", r.suite_id as "SuiteId", s.version as "Version",
                   coalesce(r.finished_at, r.created_at) as "FinishedAt", m.family as "Family", m.checkpoint as "Checkpoint", m.created_at as "ModelCreatedAt",
                   m.accepted_at as "AcceptedAt", r.task_counts_stored as "CountsStored"
            from runs r
            join suites s on s.id = r.suite_id
            left join models m on m.id = r.model_id
            where {string.Join(" and ", conditions)}
            order by r.model_name, r.finished_at desc, r.id desc
            """;
        return await db.Database.SqlQueryRaw<LatestRun>(sql, parameters.ToArray<object>()).ToListAsync(cancellationToken);
    }

    private static async Task<Dictionary<(Guid, Guid), OutcomeCounts>> OutcomeCountsAsync(EvalsDbContext db, Guid[] stored, Guid[] unstored,
        CancellationToken cancellationToken)
    {
        if (stored.Length + unstored.Length == 0) return [];
        // TaskScoring averages the chance of the asked (non-error) items that carry one; store_run_task_counts computes
        // the stored rows with the same aggregate as the second half here.
        var rows = await db.Database.SqlQueryRaw<OutcomeCounts>("""
            select run_id as "RunId", task_id as "TaskId", correct as "Correct", wrong as "Wrong", unparseable as "Unparseable",
                   refused as "Refused", error as "Error", chance as "Chance"
            from run_task_counts
            where run_id = any(@stored)
            union all
            select run_id, task_id,
                   count(*) filter (where outcome = 'correct')::int,
                   count(*) filter (where outcome = 'wrong')::int,
                   count(*) filter (where outcome = 'unparseable')::int,
                   count(*) filter (where outcome = 'refused')::int,
                   count(*) filter (where outcome = 'error')::int,
                   coalesce(avg((details->>'chance')::double precision) filter (where outcome <> 'error'), 0)
            from results
            where run_id = any(@unstored)
            group by run_id, task_id
            """, new NpgsqlParameter("stored", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = stored },
            new NpgsqlParameter("unstored", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = unstored }).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => (r.RunId, r.TaskId));
    }

    private sealed record LatestRun(Guid RunId, string Model, string Spec, Guid? ModelId, Guid SuiteId, string Version, DateTimeOffset FinishedAt,
        string? Family, string? Checkpoint, DateTimeOffset? ModelCreatedAt, DateTimeOffset? AcceptedAt, bool CountsStored);

    private sealed record OutcomeCounts(Guid RunId, Guid TaskId, int Correct, int Wrong, int Unparseable, int Refused, int Error, double Chance)
    {
        public static readonly OutcomeCounts None = new(Guid.Empty, Guid.Empty, 0, 0, 0, 0, 0, 0);

        public int Total => Correct + Wrong + Unparseable + Refused + Error;

        public Dictionary<string, int> ToDictionary() => new()
        {
            ["correct"] = Correct, ["wrong"] = Wrong, ["unparseable"] = Unparseable, ["refused"] = Refused, ["error"] = Error,
        };
    }
}
