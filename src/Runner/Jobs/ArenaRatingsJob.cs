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
                if (!await ChangedSinceLatestSnapshotAsync(db, cancellationToken)) return;
            }
            var snapshot = await ArenaRatingsCalculator.SnapshotAsync(db, options, time, ArenaRatingsCalculator.BankCategories(catalog.Root), cancellationToken);
            logger.LogInformation("Arena ratings snapshot {Id}: {Battles} counted votes, {Excluded} left out", snapshot.Id, snapshot.Battles, snapshot.Excluded);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new JobExecutionException(e);
        }
    }

    /// <summary>Whether a vote was cast or its exclusion changed since the latest snapshot (true when there is none and a vote is).</summary>
    public static async Task<bool> ChangedSinceLatestSnapshotAsync(EvalsDbContext db, CancellationToken cancellationToken = default)
    {
        var latest = await db.ArenaRatingSnapshots.AsNoTracking().OrderByDescending(s => s.Id)
            .Select(s => new { s.ComputedAt, s.Battles, s.Excluded }).FirstOrDefaultAsync(cancellationToken);
        var lastVote = await db.ArenaVotes.MaxAsync(v => (DateTimeOffset?)v.VotedAt, cancellationToken);
        if (latest is null) return lastVote is not null;
        var lastExclusion = await db.ArenaVotes.MaxAsync(v => v.ExcludedAt, cancellationToken);
        // Times alone miss a vote cast while the latest snapshot was being computed: it was not read, yet it is older
        // than the snapshot's time, so no later check would see it. The counts see it.
        var excluded = await db.ArenaVotes.CountAsync(v => v.IdentifiedBy != null || v.ExcludedReason != null, cancellationToken);
        var counted = await db.ArenaVotes.CountAsync(cancellationToken) - excluded;
        return lastVote > latest.ComputedAt || lastExclusion > latest.ComputedAt || counted != latest.Battles || excluded != latest.Excluded;
    }
}
