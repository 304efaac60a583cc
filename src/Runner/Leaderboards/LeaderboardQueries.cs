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
/// The leaderboard: per model its latest succeeded run on the suite (within the date window), and per run the scores its
/// run summary gives — task scores as <see cref="TaskScoring"/> defines them, capabilities and overall (with its
/// stratified bootstrap interval) as <see cref="CapabilityScores"/> rolls them up. A run's figures are stored once
/// (<c>run_scores</c>, migration RunScores: the runner writes them when a run succeeds, this query for any run that has
/// none) and read back as one row per run, so a page neither reads result rows nor bootstraps. Computing a missing row
/// reads the run's outcome counts (<c>run_task_counts</c>, or a <c>GROUP BY</c> of its results when the run was written
/// as finished without a status change) and, for tasks with another metric than accuracy, its items. Suites that are
/// private (<see cref="SuiteCatalog.PrivateSuites"/>, or holding regression items copied from users' traces) are
/// shown only when the caller is an admin, as the run pages do.
/// </summary>
public sealed class LeaderboardQueries(IDbContextFactory<EvalsDbContext> dbFactory, SuiteCatalog catalog, RunSummaryQuery summaries)
{
    /// <summary>The public leaderboard (private suites hidden).</summary>
    public Task<Leaderboard> GetAsync(LeaderboardFilter filter, CancellationToken cancellationToken = default) =>
        GetAsync(filter, includePrivate: false, cancellationToken);

    public async Task<Leaderboard> GetAsync(LeaderboardFilter filter, bool includePrivate, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hidden = includePrivate ? [] : await HiddenSuitesAsync(db, cancellationToken);
        var suites = (await db.Suites.AsNoTracking().Select(s => s.Name).Distinct().OrderBy(n => n).ToListAsync(cancellationToken))
            .Where(s => !hidden.Contains(s)).ToList();
        var families = await db.Models.AsNoTracking().Where(m => m.Family != null).Select(m => m.Family!).Distinct().OrderBy(f => f).ToListAsync(cancellationToken);
        var suite = filter.Suite ?? await db.Runs.AsNoTracking().Where(r => r.Status == Storage.Entities.RunStatus.Succeeded && !hidden.Contains(r.Suite!.Name))
            .OrderByDescending(r => r.FinishedAt).Select(r => r.Suite!.Name).FirstOrDefaultAsync(cancellationToken);
        var empty = new Leaderboard(suite, suites, null, null, [], [], families, [], filter, null, 0, filter.Page, filter.PageSize, [], []);
        // A private suite reads as one that does not exist.
        if (suite is null || hidden.Contains(suite)) return empty;

        // The suite's current version is the newest one stored: a submitted run stores the version its files hash to.
        var current = await db.Suites.AsNoTracking().Where(s => s.Name == suite).OrderByDescending(s => s.CreatedAt)
            .Select(s => new { s.Id, s.Version, s.CreatedAt }).FirstOrDefaultAsync(cancellationToken);
        if (current is null) return empty;

        var runs = await LatestRunsAsync(db, suite, filter, current.Id, cancellationToken);
        var suiteIds = runs.Select(r => r.SuiteId).Append(current.Id).Distinct().ToArray();
        var suiteTasks = await db.SuiteTasks.AsNoTracking().Where(t => suiteIds.Contains(t.SuiteId)).OrderBy(t => t.Position)
            .Select(t => new SuiteTaskRow(t.SuiteId, t.TaskId, t.Task!.Name, t.Task.Version)).ToListAsync(cancellationToken);
        var currentTasks = suiteTasks.Where(t => t.SuiteId == current.Id).ToDictionary(t => t.Name, t => t.Version, StringComparer.Ordinal);

        var tree = CapabilityTree.Load(catalog.Root);
        var view = catalog.ViewOf(suite);
        // CUGE-style: with a reference model named for the suite, capabilities average percentages of its scores. Only
        // the reference run's id keys the stored rows; its results are read only when a row has to be computed.
        var referenceRun = tree.ReferenceModels.ContainsKey(suite) ? await summaries.ReferenceRunAsync(suite, cancellationToken) : null;
        var key = new ScoresKey(referenceRun ?? Guid.Empty, Basis(tree, view));
        var headlines = await StoredHeadlinesAsync(db, runs.Select(r => r.RunId).ToArray(), key, SortPath(filter.Sort), cancellationToken);
        var scores = new Dictionary<Guid, RunScores>();
        var missing = runs.Where(r => !headlines.ContainsKey(r.RunId)).ToList();
        if (missing.Count > 0)
        {
            var (reference, _) = referenceRun is null ? (null, null) : await summaries.ReferenceAsync(suite, null, cancellationToken);
            if ((reference?.RunId ?? Guid.Empty) != key.Reference)
            {
                // The reference model's latest run changed meanwhile: every row is normalised against the new one.
                key = key with { Reference = reference?.RunId ?? Guid.Empty };
                headlines.Clear();
                missing = runs;
            }
            var computed = await ComputeAsync(db, suite, missing, suiteTasks.ToLookup(t => t.SuiteId), tree, view, reference, cancellationToken);
            await StoreScoresAsync(db, missing, computed, key, cancellationToken);
            foreach (var (run, value) in computed)
            {
                scores[run] = value;
                headlines[run] = Headline.Of(value, filter.Sort);
            }
        }

        // Sort and rank every row by its headline figures; read the whole stored rows (cells, capabilities, categories)
        // only of the asked page and of the baselines, which the charts draw as chance lines wherever they sort.
        var standings = Sort(runs, headlines, filter);
        var rank = 0;
        var ranks = standings.ToDictionary(r => r.RunId, r => r.ModelId is null && BaselineOf(r.Spec) is not null ? (int?)null : ++rank);
        var shown = filter.Page is { } page ? standings.Skip((page - 1) * filter.PageSize).Take(filter.PageSize).ToList() : standings;
        var wanted = shown.Concat(standings.Where(r => ranks[r.RunId] is null)).Select(r => r.RunId).Where(id => !scores.ContainsKey(id)).Distinct().ToArray();
        foreach (var (run, value) in await StoredScoresAsync(db, wanted, key, cancellationToken)) scores[run] = value;
        var dropped = runs.Where(r => wanted.Contains(r.RunId) && !scores.ContainsKey(r.RunId)).ToList();
        if (dropped.Count > 0)
        {
            // Dropped between the two reads (a retry reopened the run meanwhile): computed from its results as they are, not stored.
            var (reference, _) = key.Reference == Guid.Empty ? (null, null) : await summaries.ReferenceAsync(suite, null, cancellationToken);
            foreach (var (run, value) in await ComputeAsync(db, suite, dropped, suiteTasks.ToLookup(t => t.SuiteId), tree, view, reference, cancellationToken))
                scores[run] = value;
        }

        LeaderboardRow Row(LatestRun run)
        {
            var s = scores[run.RunId];
            var cells = s.Cells.ToDictionary(c => c.Key, c => new LeaderboardCell(c.Value.Metric, c.Value.Score, c.Value.N, c.Value.CiLow, c.Value.CiHigh,
                c.Value.Chance, c.Value.Normalised, c.Value.Version, !currentTasks.TryGetValue(c.Key, out var now) || now != c.Value.Version), StringComparer.Ordinal);
            return new LeaderboardRow(run.RunId, run.Model, run.Spec, run.Family, run.Checkpoint, run.ModelCreatedAt, run.AcceptedAt is not null,
                run.ModelId is null ? BaselineOf(run.Spec) : null, run.Version, run.SuiteId != current.Id, run.FinishedAt, s.Items, s.Overall, s.TasksMean,
                s.Capabilities, cells, Complete: s.Errors == 0, s.OverallCiLow, s.OverallCiHigh, s.Categories, ranks[run.RunId]);
        }
        var rows = shown.Select(Row).ToList();
        var baselineRows = standings.Where(r => ranks[r.RunId] is null).Select(Row).ToList();

        var taskColumns = suiteTasks.Where(t => t.SuiteId == current.Id).Select(t => t.Name)
            .Concat(suiteTasks.Where(t => t.SuiteId != current.Id).Select(t => t.Name)).Distinct(StringComparer.Ordinal).ToList();
        var treeOrder = tree.Capabilities.Select((c, i) => (c.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var capabilityColumns = headlines.Values.SelectMany(h => h.Capabilities).Distinct()
            .OrderBy(c => treeOrder.GetValueOrDefault(c, int.MaxValue)).ThenBy(c => c, StringComparer.Ordinal).ToList();
        var standingRows = standings.Select(r => new LeaderboardStanding(r.Model, ranks[r.RunId], r.ModelId is null ? BaselineOf(r.Spec) : null, r.Family,
            r.Checkpoint, r.ModelCreatedAt, r.AcceptedAt is not null, r.SuiteId != current.Id, headlines[r.RunId].Overall)).ToList();
        return new Leaderboard(suite, suites, current.Version, current.CreatedAt, taskColumns, capabilityColumns, families, rows, filter,
            catalog.ViewOf(suite)?.Columns, standings.Count, filter.Page, filter.PageSize, standingRows, baselineRows);
    }

    /// <summary>
    /// Stores the leaderboard figures of a run that has just succeeded (and of any other latest run of its suite that
    /// has none), so the first reader of the page does not compute them.
    /// </summary>
    public async Task StoreRunAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var suite = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => r.Suite!.Name).FirstOrDefaultAsync(cancellationToken);
        if (suite is not null) await GetAsync(new LeaderboardFilter(suite), includePrivate: true, cancellationToken);
    }

    /// <summary>Suites anonymous readers do not see: declared private, or holding users' own inputs (regression suites).</summary>
    private async Task<HashSet<string>> HiddenSuitesAsync(EvalsDbContext db, CancellationToken cancellationToken)
    {
        var hidden = PrivateSuiteNames().ToHashSet(StringComparer.Ordinal);
        hidden.UnionWith(await db.RegressionItems.AsNoTracking().Select(i => i.Suite).Distinct().ToListAsync(cancellationToken));
        return hidden;
    }

    /// <summary>The catalog's private suites, read again at most every 10 s (the flag lives in files an operator edits).</summary>
    private string[] PrivateSuiteNames()
    {
        lock (_privateGate)
        {
            if (_privateSuites.Names is null || Environment.TickCount64 - _privateSuites.ReadAt > 10_000)
                _privateSuites = (Environment.TickCount64, catalog.PrivateSuites().ToArray());
            return _privateSuites.Names!;
        }
    }

    private readonly Lock _privateGate = new();
    private (long ReadAt, string[]? Names) _privateSuites;

    /// <summary>
    /// What stored figures depend on besides the run's results: the capability tree, the suite's overall_of and view columns and the
    /// scoring code's version (<see cref="ScoringVersion"/>). A stored row with another basis is computed again.
    /// </summary>
    private static string Basis(CapabilityTree tree, LeaderboardView? view)
    {
        var text = JsonSerializer.Serialize(new { ScoringVersion, tree.Capabilities, tree.ReferenceModels, overallOf = view?.OverallOf, columns = view?.Columns.Select(c => c.Key) });
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..32];
    }

    /// <summary>Raise when TaskScoring or CapabilityScores change what they compute: every stored row is then recomputed once.</summary>
    private const int ScoringVersion = 1;

    /// <summary>Each missing run's figures, exactly as the run summary computes them from its outcome counts and items.</summary>
    private static async Task<Dictionary<Guid, RunScores>> ComputeAsync(EvalsDbContext db, string suite, List<LatestRun> runs, ILookup<Guid, SuiteTaskRow> tasksBySuite,
        CapabilityTree tree, LeaderboardView? view, ReferenceScores? reference, CancellationToken cancellationToken)
    {
        var taskIds = runs.SelectMany(r => tasksBySuite[r.SuiteId]).Select(t => t.TaskId).Distinct().ToArray();
        var manifests = (await db.Tasks.AsNoTracking().Where(t => taskIds.Contains(t.Id)).Select(t => new { t.Id, t.Manifest }).ToListAsync(cancellationToken))
            .ToDictionary(t => t.Id, t => JsonSerializer.Deserialize<TaskManifest>(t.Manifest, TaskManifest.Json)!);
        var runIds = runs.Select(r => r.RunId).ToArray();
        var counts = await OutcomeCountsAsync(db, runs.Where(r => r.CountsStored).Select(r => r.RunId).ToArray(),
            runs.Where(r => !r.CountsStored).Select(r => r.RunId).ToArray(), cancellationToken);
        var otherMetric = manifests.Where(m => m.Value.Metric != Accuracy.Name).Select(m => m.Key).ToArray();
        var itemsOfOtherMetric = (otherMetric.Length == 0 ? [] : await db.Results.AsNoTracking()
                .Where(r => runIds.Contains(r.RunId) && otherMetric.Contains(r.TaskId))
                .Select(r => new { r.RunId, r.TaskId, r.Outcome, r.Score, r.Parsed, r.Reference, r.Details }).ToListAsync(cancellationToken))
            .ToLookup(r => (r.RunId, r.TaskId), r => RunSummaryQuery.ToScoredItem(r.Outcome, r.Score, r.Parsed, r.Reference, r.Details));

        var result = new Dictionary<Guid, RunScores>();
        foreach (var run in runs)
        {
            var scored = new List<(string, TaskManifest, TaskSummary)>();
            var replicates = new List<(string, TaskManifest, TaskSummary, double[])>();
            var cells = new Dictionary<string, StoredCell>(StringComparer.Ordinal);
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
                    replicates.Add((task.Name, manifest, summary, summary.N == 0 ? [] : TaskScoring.ShareReplicates(summary.N, summary.Score, TaskScoring.SeedOf(task.Name))));
                }
                else
                {
                    var scoredItems = itemsOfOtherMetric[(run.RunId, task.TaskId)].ToList();
                    items += scoredItems.Count;
                    errors += scoredItems.Count(i => i.Outcome == Outcome.Error);
                    summary = TaskScoring.Summarise(manifest.Metric, task.Version, scoredItems);
                    replicates.Add((task.Name, manifest, summary, TaskScoring.Replicates(manifest.Metric, scoredItems, summary, TaskScoring.SeedOf(task.Name))));
                }
                scored.Add((task.Name, manifest, summary));
                if (summary.N == 0) continue;
                cells[task.Name] = new StoredCell(summary.Metric, summary.Score, summary.N, summary.CiLow, summary.CiHigh, summary.Chance, summary.Normalised, task.Version);
            }
            var rollUp = CapabilityScores.Compute(tree, scored, reference);
            var subjects = scored.Where(t => t.Item3.N > 0 && t.Item1.StartsWith(suite + "/", StringComparison.Ordinal))
                .Select(t => (t.Item1, view?.CategoriesOf(t.Item1, t.Item2.Categories) ?? t.Item2.Categories, t.Item3.Score))
                .Where(t => t.Item2.Count > 0).ToList();
            var categories = subjects.Count == 0 ? null
                : CategoryAverages.Compute(subjects, view?.OverallOf).ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 4), StringComparer.Ordinal);
            var interval = CapabilityScores.OverallInterval(tree, replicates, reference);
            result[run.RunId] = new RunScores(items, errors, rollUp.Overall, rollUp.TasksMean, rollUp.Capabilities.ToDictionary(StringComparer.Ordinal),
                cells, interval?.Low, interval?.High, categories);
        }
        return result;
    }

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

    private static List<LatestRun> Sort(List<LatestRun> runs, Dictionary<Guid, Headline> headlines, LeaderboardFilter filter)
    {
        // Rows without the sorted value (a task the model's version lacked) go last in either direction.
        double? Value(LatestRun r) => filter.Sort switch
        {
            "overall" => headlines[r.RunId].Overall,
            "date" => r.FinishedAt.ToUnixTimeMilliseconds(),
            "items" => headlines[r.RunId].Items,
            _ => headlines[r.RunId].SortValue,
        };
        if (filter.Sort == "model")
            return (filter.Descending ? runs.OrderByDescending(r => r.Model, StringComparer.Ordinal) : runs.OrderBy(r => r.Model, StringComparer.Ordinal)).ToList();
        var keyed = runs.Select(r => (Run: r, Value: Value(r))).ToList();
        var present = keyed.Where(k => k.Value is not null);
        var ordered = filter.Descending ? present.OrderByDescending(k => k.Value) : present.OrderBy(k => k.Value);
        return ordered.ThenBy(k => k.Run.Model, StringComparer.Ordinal).Concat(keyed.Where(k => k.Value is null).OrderBy(k => k.Run.Model, StringComparer.Ordinal))
            .Select(k => k.Run).ToList();
    }

    /// <summary>Where a sort key's value sits in a stored row (<c>scores #>> path</c>); null for the keys a headline carries.</summary>
    private static string[]? SortPath(string sort) => sort switch
    {
        _ when sort.StartsWith("task:", StringComparison.Ordinal) => ["Cells", sort[5..], "Score"],
        _ when sort.StartsWith("cap:", StringComparison.Ordinal) => ["Capabilities", sort[4..]],
        _ when sort.StartsWith("cat:", StringComparison.Ordinal) => ["Categories", sort[4..]],
        _ => null,
    };

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

    /// <summary>
    /// The figures every row needs whatever page shows it, read inside PostgreSQL from the stored rows (jsonb), so
    /// neither their cells nor their JSON text travel: items, errors, overall and its interval, the sorted key's value
    /// and the capability names.
    /// </summary>
    private static async Task<Dictionary<Guid, Headline>> StoredHeadlinesAsync(EvalsDbContext db, Guid[] runIds, ScoresKey key, string[]? sortPath,
        CancellationToken cancellationToken)
    {
        if (runIds.Length == 0) return [];
        var rows = await db.Database.SqlQueryRaw<HeadlineRow>("""
            select run_id as "RunId", (scores->>'Items')::int as "Items", (scores->>'Errors')::int as "Errors",
                   (scores->>'Overall')::double precision as "Overall", (scores->>'OverallCiLow')::double precision as "OverallCiLow",
                   (scores->>'OverallCiHigh')::double precision as "OverallCiHigh", (scores #>> @path)::double precision as "SortValue",
                   coalesce((select jsonb_agg(k) from jsonb_object_keys(scores->'Capabilities') k), '[]')::text as "Capabilities"
            from run_scores
            where run_id = any(@runs) and reference_run_id = @reference and basis = @basis
            """, new NpgsqlParameter("runs", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = runIds },
            new NpgsqlParameter("reference", NpgsqlDbType.Uuid) { Value = key.Reference },
            new NpgsqlParameter("basis", NpgsqlDbType.Text) { Value = key.Basis },
            new NpgsqlParameter("path", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)sortPath ?? DBNull.Value }).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.RunId, r => new Headline(r.Items, r.Errors, r.Overall, r.OverallCiLow, r.OverallCiHigh, r.SortValue,
            JsonSerializer.Deserialize<string[]>(r.Capabilities)!));
    }

    private static async Task<Dictionary<Guid, RunScores>> StoredScoresAsync(EvalsDbContext db, Guid[] runIds, ScoresKey key, CancellationToken cancellationToken)
    {
        if (runIds.Length == 0) return [];
        var rows = await db.Database.SqlQueryRaw<StoredScoresRow>("""
            select run_id as "RunId", scores::text as "Scores" from run_scores
            where run_id = any(@runs) and reference_run_id = @reference and basis = @basis
            """, new NpgsqlParameter("runs", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = runIds },
            new NpgsqlParameter("reference", NpgsqlDbType.Uuid) { Value = key.Reference },
            new NpgsqlParameter("basis", NpgsqlDbType.Text) { Value = key.Basis }).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.RunId, r => JsonSerializer.Deserialize<RunScores>(r.Scores, ScoresJson)!);
    }

    /// <summary>
    /// Stores computed figures, each only if its run is still the succeeded run it was when read (same finish time): a
    /// retry that reopened or re-finished it meanwhile has changed its results, and its status trigger dropped its rows.
    /// </summary>
    private static async Task StoreScoresAsync(EvalsDbContext db, List<LatestRun> runs, Dictionary<Guid, RunScores> scores, ScoresKey key,
        CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlRawAsync("""
            insert into run_scores (run_id, reference_run_id, basis, scores)
            select s.run_id, @reference, @basis, s.scores::json
            from unnest(@runs, @finished, @scores) as s(run_id, finished, scores)
            join runs r on r.id = s.run_id and r.status = 'succeeded' and coalesce(r.finished_at, r.created_at) = s.finished
            on conflict (run_id, reference_run_id) do update set basis = excluded.basis, scores = excluded.scores
            """, [
                new NpgsqlParameter("reference", NpgsqlDbType.Uuid) { Value = key.Reference },
                new NpgsqlParameter("basis", NpgsqlDbType.Text) { Value = key.Basis },
                new NpgsqlParameter("runs", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = runs.Select(r => r.RunId).ToArray() },
                new NpgsqlParameter("finished", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = runs.Select(r => r.FinishedAt.ToUniversalTime()).ToArray() },
                new NpgsqlParameter("scores", NpgsqlDbType.Array | NpgsqlDbType.Text)
                    { Value = runs.Select(r => JsonSerializer.Serialize(scores[r.RunId], ScoresJson)).ToArray() },
            ], cancellationToken);
    }

    // Stored as jsonb, whose numbers keep every digit of a double's round-trip text, so a stored row reads back equal to the
    // computed one (and its headline figures can be read inside PostgreSQL without sending the cells).
    private static readonly JsonSerializerOptions ScoresJson = new(JsonSerializerDefaults.General)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private sealed record ScoresKey(Guid Reference, string Basis);

    private sealed record StoredScoresRow(Guid RunId, string Scores);

    private sealed record HeadlineRow(Guid RunId, int Items, int Errors, double? Overall, double? OverallCiLow, double? OverallCiHigh, double? SortValue,
        string Capabilities);

    /// <summary>What sorting, ranking and the checkpoint chart read of every row.</summary>
    private sealed record Headline(int Items, int Errors, double? Overall, double? OverallCiLow, double? OverallCiHigh, double? SortValue,
        IReadOnlyList<string> Capabilities)
    {
        /// <summary>A just-computed row's headline, as <see cref="StoredHeadlinesAsync"/> would read it back.</summary>
        public static Headline Of(RunScores s, string sort) => new(s.Items, s.Errors, s.Overall, s.OverallCiLow, s.OverallCiHigh, sort switch
        {
            _ when sort.StartsWith("task:", StringComparison.Ordinal) => s.Cells.TryGetValue(sort[5..], out var c) ? c.Score : null,
            _ when sort.StartsWith("cap:", StringComparison.Ordinal) => s.Capabilities.TryGetValue(sort[4..], out var v) ? v : null,
            _ when sort.StartsWith("cat:", StringComparison.Ordinal) => s.Categories?.TryGetValue(sort[4..], out var c) == true ? c : null,
            _ => null,
        }, s.Capabilities.Keys.ToList());
    }

    private sealed record SuiteTaskRow(Guid SuiteId, Guid TaskId, string Name, string Version);

    /// <summary>A run's leaderboard figures as stored in <c>run_scores.scores</c>.</summary>
    private sealed record RunScores(int Items, int Errors, double? Overall, double TasksMean, Dictionary<string, double> Capabilities,
        Dictionary<string, StoredCell> Cells, double? OverallCiLow, double? OverallCiHigh, Dictionary<string, double>? Categories);

    private sealed record StoredCell(string Metric, double Score, int N, double CiLow, double CiHigh, double? Chance, double? Normalised, string Version);

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
