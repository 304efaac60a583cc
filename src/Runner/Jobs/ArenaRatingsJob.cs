using Evals.Benchmarks.Suites;
using Evals.Runner.Arena;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Evals.Runner.Jobs;

/// <summary>
/// Recomputes the arena ratings snapshot. Fires on a schedule (<c>Arena:RatingsIntervalSeconds</c>) on one node of the
/// cluster at a time, and on demand (the admin page's button triggers it with <see cref="ForceKey"/>). On schedule it
/// skips the work when no vote was cast or excluded since the latest snapshot.
/// </summary>
[DisallowConcurrentExecution]
public sealed class ArenaRatingsJob(IDbContextFactory<EvalsDbContext> dbFactory, ArenaRatingOptions options, TimeProvider time, SuiteCatalog catalog,
    ILogger<ArenaRatingsJob> logger) : IJob
{
    public static readonly JobKey Key = new("arena-ratings", "arena");
    public const string ForceKey = "force";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            // Job data are strings (the store keeps them as properties).
            var force = context.MergedJobDataMap.GetString(ForceKey) == "true";
            if (!force)
            {
                var latest = await db.ArenaRatingSnapshots.AsNoTracking().OrderByDescending(s => s.Id).Select(s => (DateTimeOffset?)s.ComputedAt).FirstOrDefaultAsync(cancellationToken);
                var lastVote = await db.ArenaVotes.MaxAsync(v => (DateTimeOffset?)v.VotedAt, cancellationToken);
                var lastExclusion = await db.ArenaVotes.MaxAsync(v => v.ExcludedAt, cancellationToken);
                var changed = latest is null ? lastVote is not null : lastVote > latest || lastExclusion > latest;
                if (!changed) return;
            }
            var snapshot = await ArenaRatingsCalculator.SnapshotAsync(db, options, time, ArenaRatingsCalculator.BankCategories(catalog.Root), cancellationToken);
            logger.LogInformation("Arena ratings snapshot {Id}: {Battles} counted votes, {Excluded} left out", snapshot.Id, snapshot.Battles, snapshot.Excluded);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new JobExecutionException(e);
        }
    }
}
