using Evals.Runner.Arena;
using Evals.Runner.Leaderboards;
using Evals.Runner.Runs;
using Evals.Web.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Models;

/// <summary>A run of the model, with its overall score once it succeeded.</summary>
public sealed record ModelRun(Guid Id, string Suite, string SuiteVersion, string Status, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt,
    double? Overall, double? OverallCiLow, double? OverallCiHigh, bool Complete);

/// <summary>A checkpoint of the model's family: its latest succeeded run on a suite, in registration order.</summary>
public sealed record CheckpointScore(string Model, string? Checkpoint, bool Accepted, DateTimeOffset RegisteredAt, Guid RunId, double? Overall);

/// <summary>Another model's latest succeeded run on the same suite version: what this model's run can be compared with item by item.</summary>
public sealed record Comparable(string Model, Guid RunId);

/// <summary>Per suite: the model's latest succeeded run, its family's checkpoints on the suite, and the runs to compare it with.</summary>
public sealed record SuiteOfModel(string Suite, Guid? LatestRun, IReadOnlyList<CheckpointScore> Checkpoints, IReadOnlyList<Comparable> CompareWith);

/// <param name="Spec">The spec as registered, with any credential in it masked (<see cref="SpecDisplay"/>).</param>
public sealed record ModelPage(string Name, string Kind, string Spec, string? Family, string? Checkpoint, DateTimeOffset RegisteredAt,
    DateTimeOffset? AcceptedAt, IReadOnlyList<ModelRun> Runs, IReadOnlyList<SuiteOfModel> Suites, ArenaRatings.Row? Arena, int ArenaModels);

/// <summary>
/// A registered model's page (<c>/models/{name}</c>): every run of it (runs of private suites only for admins), its scores
/// per suite over time and over its family's checkpoints, its arena rating, and links to compare it with other models.
/// Scores are the run summaries', read through <see cref="RunQueries.SummaryAsync"/> (cached per run state, as the run
/// pages read them), so they equal the run pages and the leaderboard and a page view does not bootstrap every run again.
/// </summary>
public sealed class ModelQueries(IDbContextFactory<EvalsDbContext> dbFactory, RunQueries runQueries, Evals.Benchmarks.Suites.SuiteCatalog catalog)
{
    /// <summary>At most this many runs are listed, newest first.</summary>
    public const int MaxRuns = 200;

    public async Task<ModelPage?> GetAsync(string name, bool includePrivate, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var model = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Name == name, cancellationToken);
        if (model is null) return null;

        var query = db.Runs.AsNoTracking().Include(r => r.Suite).Where(r => r.ModelId == model.Id || (r.ModelId == null && r.ModelName == model.Name));
        var hidden = includePrivate ? [] : catalog.PrivateSuites().ToArray();
        if (!includePrivate) query = query.Where(r => !hidden.Contains(r.Suite!.Name) && !db.RegressionItems.Any(i => i.Suite == r.Suite!.Name));
        var runs = await query.OrderByDescending(r => r.CreatedAt).Take(MaxRuns).ToListAsync(cancellationToken);
        var rows = new List<ModelRun>(runs.Count);
        foreach (var run in runs)
        {
            var summary = run.Status == RunStatus.Succeeded ? await runQueries.SummaryAsync(run.Id, cancellationToken) : null;
            rows.Add(new ModelRun(run.Id, run.Suite!.Name, run.Suite.Version, run.Status.ToString().ToLowerInvariant(), run.CreatedAt, run.FinishedAt,
                summary?.Overall, summary?.OverallCiLow, summary?.OverallCiHigh, summary?.Complete ?? false));
        }

        var suites = new List<SuiteOfModel>();
        foreach (var suite in rows.Where(r => r.Status == "succeeded").Select(r => r.Suite).Distinct().Order(StringComparer.Ordinal))
        {
            var latest = rows.Where(r => r.Suite == suite && r.Status == "succeeded").MaxBy(r => r.FinishedAt)!;
            var checkpoints = model.Family is null ? [] : await CheckpointsAsync(db, model.Family, suite, cancellationToken);
            var others = await db.Runs.AsNoTracking().Include(r => r.Suite)
                .Where(r => r.Status == RunStatus.Succeeded && !hidden.Contains(r.Suite!.Name) && r.Suite!.Name == suite && r.Suite.Version == latest.SuiteVersion && r.ModelName != model.Name)
                .OrderByDescending(r => r.FinishedAt).Select(r => new { r.ModelName, r.Id }).Take(500).ToListAsync(cancellationToken);
            suites.Add(new SuiteOfModel(suite, latest.Id, checkpoints,
                others.DistinctBy(o => o.ModelName).OrderBy(o => o.ModelName, StringComparer.Ordinal).Select(o => new Comparable(o.ModelName, o.Id)).ToList()));
        }

        var snapshot = await db.ArenaRatingSnapshots.AsNoTracking().OrderByDescending(s => s.Id).FirstOrDefaultAsync(cancellationToken);
        var ratings = snapshot is null ? null : ArenaRatingsCalculator.Read(snapshot);
        return new ModelPage(model.Name, model.Kind, SpecDisplay.Mask(model.Spec), model.Family, model.Checkpoint, model.CreatedAt, model.AcceptedAt, rows, suites,
            ratings?.Rows.FirstOrDefault(r => r.Model == model.Name), ratings?.Rows.Count ?? 0);
    }

    /// <summary>Every registered model of the family with a succeeded run on the suite: its latest run's overall, in registration order.</summary>
    private async Task<IReadOnlyList<CheckpointScore>> CheckpointsAsync(EvalsDbContext db, string family, string suite, CancellationToken cancellationToken)
    {
        var members = await db.Models.AsNoTracking().Where(m => m.Family == family).OrderBy(m => m.CreatedAt).ToListAsync(cancellationToken);
        var result = new List<CheckpointScore>();
        foreach (var member in members)
        {
            var run = await db.Runs.AsNoTracking().Where(r => r.ModelId == member.Id && r.Status == RunStatus.Succeeded && r.Suite!.Name == suite)
                .OrderByDescending(r => r.FinishedAt).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(cancellationToken);
            if (run is not { } id || await runQueries.SummaryAsync(id, cancellationToken) is not { } summary) continue;
            result.Add(new CheckpointScore(member.Name, member.Checkpoint, member.AcceptedAt is not null, member.CreatedAt, id, summary.Overall));
        }
        return result;
    }
}
