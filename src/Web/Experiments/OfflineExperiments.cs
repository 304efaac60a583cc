using Evals.Benchmarks.Experiments;
using Evals.Runner.Gate;
using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Web.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Experiments;

/// <summary>One prompt variant's run in an offline A/B experiment.</summary>
public sealed record VariantRun(string Variant, Guid RunId, RunStatus Status, int CompletedItems, int TotalItems, int FailedItems, string? PromptHash,
    IReadOnlyDictionary<string, string> Templates);

public sealed record OfflineExperimentSummary(Guid Id, string Model, string Suite, string SuiteVersion, DateTimeOffset CreatedAt, IReadOnlyList<VariantRun> Variants)
{
    public bool Finished => Variants.All(v => v.Status is not (RunStatus.Queued or RunStatus.Running));
    public bool Succeeded => Variants.All(v => v.Status == RunStatus.Succeeded);
}

/// <param name="Report">The comparison, once every variant's run succeeded; null before, or when <see cref="Problem"/> says why not.</param>
public sealed record OfflineExperimentView(OfflineExperimentSummary Summary, VariantReport? Report, IReadOnlyList<string> Notes, string? Problem);

/// <summary>
/// Offline prompt A/B experiments (<c>evals ab run</c>): the runs that share <c>config.experiment</c>, one per variant,
/// compared with exactly the code and settings the CLI uses (same seed and resamples), so the page and the CLI's JSON agree.
/// </summary>
public sealed class OfflineExperiments(IDbContextFactory<EvalsDbContext> dbFactory, IServiceProvider services, ComputedResultCache cache)
{
    public const int Rounds = 10_000;
    public const double Alpha = 0.05;

    private sealed record RunRow(Guid Id, Guid Experiment, string ModelName, string Suite, string SuiteVersion, string Config, string Status,
        int CompletedItems, int TotalItems, int FailedItems, DateTimeOffset CreatedAt);

    public async Task<IReadOnlyList<OfflineExperimentSummary>> ListAsync(CancellationToken cancellationToken = default) =>
        Group(await RowsAsync(null, cancellationToken));

    public async Task<OfflineExperimentView?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (Group(await RowsAsync(id, cancellationToken)) is not [var summary]) return null;
        var notes = new List<string>();
        if (!summary.Finished) return new OfflineExperimentView(summary, null, notes, null);
        if (!summary.Succeeded)
            return new OfflineExperimentView(summary, null, notes,
                "not every variant's run succeeded: " + string.Join(", ", summary.Variants.Where(v => v.Status != RunStatus.Succeeded).Select(v => $"{v.Variant} {v.Status.ToString().ToLowerInvariant()}")));
        // Every variant's run succeeded: their results never change, so the report is computed once per set of runs.
        var (report, reportNotes, problem) = await cache.GetOrComputeAsync("experiment", $"{id}:{string.Join(',', summary.Variants.Select(v => v.RunId))}",
            () => ReportAsync(summary), cancellationToken);
        return new OfflineExperimentView(summary, report, reportNotes, problem);
    }

    private async Task<(VariantReport? Report, List<string> Notes, string? Problem)> ReportAsync(OfflineExperimentSummary summary)
    {
        var notes = new List<string>();
        try
        {
            var aligned = await ActivatorUtilities.CreateInstance<GateRuns>(services)
                .AlignedScoresAsync(summary.Variants.Select(v => (v.RunId, $"variant {v.Variant}")).ToList(), null, notes, CancellationToken.None);
            var report = VariantComparison.Compare(summary.Variants.Select(v => v.Variant).ToList(),
                aligned.Select(x => new VariantTask(x.Task, x.Metric, x.Keys, x.Scores)).ToList(), Alpha, Rounds);
            return (report, notes, null);
        }
        catch (Exception e) when (e is GateIncompleteException or BadInputException)
        {
            return (null, notes, e.Message);
        }
    }

    private async Task<List<RunRow>> RowsAsync(Guid? experiment, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.SqlQuery<RunRow>($"""
            select r.id as "Id", (r.config->>'experiment')::uuid as "Experiment", r.model_name as "ModelName", s.name as "Suite",
                   s.version as "SuiteVersion", r.config::text as "Config", r.status as "Status", r.completed_items as "CompletedItems",
                   r.total_items as "TotalItems", r.failed_items as "FailedItems", r.created_at as "CreatedAt"
            from runs r join suites s on s.id = r.suite_id
            where r.config ? 'experiment' and ({experiment}::uuid is null or (r.config->>'experiment')::uuid = {experiment}::uuid)
            order by r.created_at, r.id
            """).ToListAsync(cancellationToken);
    }

    private static List<OfflineExperimentSummary> Group(List<RunRow> rows) =>
        rows.GroupBy(r => r.Experiment).Select(g =>
        {
            var first = g.First();
            return new OfflineExperimentSummary(g.Key, first.ModelName, first.Suite, first.SuiteVersion, g.Min(r => r.CreatedAt),
                g.Select(r =>
                {
                    var config = RunConfig.FromJson(r.Config);
                    return new VariantRun(config.PromptVariant ?? "?", r.Id, Enum.Parse<RunStatus>(r.Status, ignoreCase: true), r.CompletedItems, r.TotalItems, r.FailedItems, config.PromptHash,
                        config.PromptTemplates ?? new Dictionary<string, string>());
                }).ToList());
        }).OrderByDescending(e => e.CreatedAt).ToList();
}
