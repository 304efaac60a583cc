using Evals.Runner.Runs;
using Evals.Benchmarks.Suites;
using Evals.Storage;
using Evals.Web.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Runs;

public sealed record RunRow(Guid Id, string Model, string Suite, string SuiteVersion, string Status, int Total, int Completed, int Failed,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Error);

/// <param name="Metrics">Generation items: their per-item metric values (ROUGE-1/2/L, keyword precision); null for other kinds.</param>
public sealed record ResultRowView(string Task, string ItemKey, string? Prompt, string? RawOutput, string? Parsed, string? Reference,
    string Outcome, double Score, double LatencyMs,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyDictionary<string, double>? Metrics = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    JudgedView? Judged = null);

/// <summary>A single-graded item (AlignBench, MT-Bench): per turn the answer, the judge's whole reply and the grade read from it.</summary>
public sealed record JudgedView(string? PromptVersion, IReadOnlyList<JudgedTurn> Turns);

/// <param name="Grade">1–10, or −1 when the reply held no readable rating.</param>
/// <param name="Dimensions">AlignBench: the per-dimension ratings the judge gave; empty otherwise.</param>
public sealed record JudgedTurn(int Turn, string Answer, string? Reply, double Grade, IReadOnlyDictionary<string, double> Dimensions);

/// <summary>One shard of a run: items <c>[First, First + Count)</c> in suite order, <c>Done</c> of them stored.</summary>
public sealed record ShardView(int Number, int First, int Count, int Done, string? Worker, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string RunStatus)
{
    /// <summary>finished; running (taken by a worker, the run open); waiting (not yet taken); stopped (the run ended first).</summary>
    public string State => FinishedAt is not null ? "finished"
        : RunQueries.IsFinished(RunStatus) ? "stopped"
        : StartedAt is not null ? "running"
        : "waiting";
}

public sealed record ResultPage(IReadOnlyList<ResultRowView> Rows, int Total);

/// <summary>What the run pages and the runs API read: one context per operation, one source of truth for both.</summary>
public sealed class RunQueries(IDbContextFactory<EvalsDbContext> dbFactory, RunSummaryQuery summaries, ComputedResultCache cache, SuiteCatalog catalog)
{
    private readonly Lock _privateGate = new();
    private (long ReadAt, string[]? Names) _privateSuites;

    /// <param name="includePrivate">Runs of private suites (<see cref="IsPrivateAsync"/>) too: for admins only.</param>
    public async Task<IReadOnlyList<RunRow>> RecentAsync(int take = 50, bool includePrivate = false, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Runs.AsNoTracking().Include(r => r.Suite).AsQueryable();
        if (!includePrivate)
        {
            var hidden = PrivateSuiteNames();
            query = query.Where(r => !hidden.Contains(r.Suite!.Name) && !db.RegressionItems.Any(i => i.Suite == r.Suite!.Name));
        }
        var runs = await query.OrderByDescending(r => r.CreatedAt).Take(take).ToListAsync(cancellationToken);
        return runs.Select(r => new RunRow(r.Id, r.ModelName, r.Suite!.Name, r.Suite.Version, r.Status.ToString().ToLowerInvariant(), r.TotalItems,
            r.CompletedItems, r.FailedItems, r.CreatedAt, r.FinishedAt, r.Error)).ToList();
    }

    /// <summary>
    /// A run of a private suite: a regression suite, whose items are users' own inputs copied from feedback traces, or
    /// a suite whose <c>suite.json</c> says <c>"private": true</c> (<see cref="SuiteCatalog.PrivateSuites"/>). Its runs
    /// (prompts, outputs) are shown to admins only, in the list, the pages and the APIs.
    /// </summary>
    public async Task<bool> IsPrivateAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var suite = await db.Runs.Where(r => r.Id == runId).Select(r => r.Suite!.Name).FirstOrDefaultAsync(cancellationToken);
        if (suite is null) return false;
        return PrivateSuiteNames().Contains(suite) || await db.RegressionItems.AnyAsync(i => i.Suite == suite, cancellationToken);
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

    /// <summary>
    /// The summary bootstraps every task, and an open run page asks for it every second while the run is unfinished. It
    /// changes only with the run's row or its results, so it is computed once per state (status, counters, error, number
    /// of results) and served from the cache for every other request and page.
    /// </summary>
    public async Task<RunSummary?> SummaryAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var state = await db.Database.SqlQuery<RunState>($"""
            select r.status as "Status", r.completed_items as "Completed", r.failed_items as "Failed", r.finished_at as "FinishedAt",
                   md5(coalesce(r.error, '')) as "ErrorHash", (select count(*) from results x where x.run_id = r.id) as "Results"
            from runs r where r.id = {runId}
            """).SingleOrDefaultAsync(cancellationToken);
        if (state is null) return null;
        return await cache.GetOrComputeAsync("summary", $"{runId}:{state.Status}:{state.Completed}:{state.Failed}:{state.Results}:{state.FinishedAt?.UtcTicks}:{state.ErrorHash}",
            () => summaries.GetAsync(runId, CancellationToken.None), cancellationToken);
    }

    /// <summary>A sharded run's shards (none for a run executed as one job), for the run page's per-shard view.</summary>
    public async Task<IReadOnlyList<ShardView>> ShardsAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.SqlQuery<ShardView>($"""
            select s.shard as "Number", s.first_item as "First", s.item_count as "Count", s.completed_items as "Done", s.worker_id as "Worker",
                   s.attempts as "Attempts", s.started_at as "StartedAt", s.finished_at as "FinishedAt", r.status as "RunStatus"
            from run_shards s join runs r on r.id = s.run_id
            where s.run_id = {runId}
            order by s.shard
            """).ToListAsync(cancellationToken);
    }

    private sealed record RunState(string Status, int Completed, int Failed, DateTimeOffset? FinishedAt, string ErrorHash, long Results);

    /// <summary>The overlap metrics of a generation item's details (those carrying BLEU statistics), else null.</summary>
    private static IReadOnlyDictionary<string, double>? GenerationMetrics(string? details)
    {
        if (details is null || !details.Contains("\"bleu_hyp_len\"", StringComparison.Ordinal)) return null;
        var numbers = ItemDetails.Numbers(details);
        return GenerationShown.Where(numbers.ContainsKey).ToDictionary(k => k, k => numbers[k]);
    }

    /// <summary>What single grading stored (<see cref="Evals.Runner.Judging.SingleGrading.Details"/>), per turn; null for other items.</summary>
    private static JudgedView? Judged(string? details)
    {
        if (details is null || !details.Contains("\"judge_outputs\"", StringComparison.Ordinal)) return null;
        if (System.Text.Json.Nodes.JsonNode.Parse(details) is not System.Text.Json.Nodes.JsonObject root
            || root[Evals.Runner.Judging.SingleGrading.JudgeOutputsKey] is not System.Text.Json.Nodes.JsonArray replies) return null;
        static string? Text(System.Text.Json.Nodes.JsonNode? node) => node is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var t) ? t : null;
        var answers = root[Evals.Runner.Judging.SingleGrading.AnswersKey] as System.Text.Json.Nodes.JsonArray;
        var grades = root[Evals.Runner.Judging.SingleGrading.GradesKey] as System.Text.Json.Nodes.JsonArray;
        var dimensions = root[Evals.Runner.Judging.SingleGrading.DimensionsKey] as System.Text.Json.Nodes.JsonArray;
        var turns = new List<JudgedTurn>();
        for (var i = 0; i < replies.Count; i++)
        {
            var grade = grades?.ElementAtOrDefault(i) is System.Text.Json.Nodes.JsonValue g && g.TryGetValue<double>(out var n) ? n : -1;
            var dims = dimensions?.ElementAtOrDefault(i) is System.Text.Json.Nodes.JsonObject d
                ? d.Where(p => p.Value is System.Text.Json.Nodes.JsonValue).ToDictionary(p => p.Key, p => p.Value!.GetValue<double>())
                : new Dictionary<string, double>();
            turns.Add(new JudgedTurn(i + 1, Text(answers?.ElementAtOrDefault(i)) ?? "", Text(replies[i]), grade, dims));
        }
        return new JudgedView(Text(root[Evals.Runner.Judging.SingleGrading.PromptVersionKey]), turns);
    }

    private static readonly string[] GenerationShown = ["rouge_1", "rouge_2", "rouge_l", "keyword_precision"];

    /// <param name="filter"><c>all</c>, <c>wrong</c> (wrong or unparseable) or <c>failed</c> (error or refused).</param>
    public async Task<ResultPage> ResultsAsync(Guid runId, string filter, string? task, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = from r in db.Results.AsNoTracking()
                    join t in db.Tasks on r.TaskId equals t.Id
                    where r.RunId == runId
                    select new { r, TaskName = t.Name };
        if (!string.IsNullOrEmpty(task)) query = query.Where(x => x.TaskName == task);
        query = filter switch
        {
            "wrong" => query.Where(x => x.r.Outcome == "wrong" || x.r.Outcome == "unparseable"),
            "failed" => query.Where(x => x.r.Outcome == "error" || x.r.Outcome == "refused"),
            _ => query,
        };
        var total = await query.CountAsync(cancellationToken);
        var rows = await query.OrderBy(x => x.TaskName).ThenBy(x => x.r.Id).Skip(page * pageSize).Take(pageSize)
            .Select(x => new { View = new ResultRowView(x.TaskName, x.r.ItemKey, x.r.Prompt, x.r.RawOutput, x.r.Parsed, x.r.Reference, x.r.Outcome, x.r.Score, x.r.LatencyMs), x.r.Details })
            .ToListAsync(cancellationToken);
        return new ResultPage(rows.Select(x => x.View with { Metrics = GenerationMetrics(x.Details), Judged = Judged(x.Details) }).ToList(), total);
    }

    /// <summary>The other succeeded runs of the same suite version as <paramref name="runId"/>: what it can be compared with item by item.</summary>
    public async Task<IReadOnlyList<RunRow>> ComparableAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var suiteId = await db.Runs.Where(r => r.Id == runId).Select(r => (Guid?)r.SuiteId).FirstOrDefaultAsync(cancellationToken);
        if (suiteId is null) return [];
        var runs = await db.Runs.AsNoTracking().Include(r => r.Suite)
            .Where(r => r.SuiteId == suiteId && r.Id != runId && r.Status == Storage.Entities.RunStatus.Succeeded)
            .OrderByDescending(r => r.FinishedAt).Take(100).ToListAsync(cancellationToken);
        return runs.Select(r => new RunRow(r.Id, r.ModelName, r.Suite!.Name, r.Suite.Version, r.Status.ToString().ToLowerInvariant(), r.TotalItems,
            r.CompletedItems, r.FailedItems, r.CreatedAt, r.FinishedAt, r.Error)).ToList();
    }

    public static bool IsFinished(string status) => status is "succeeded" or "failed" or "cancelled";
}
