using Evals.Benchmarks.Ratings;
using Evals.Runner.Arena;
using Evals.Runner.Jobs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Evals.Web.Arena;

/// <summary>
/// A battle as its own visitor may see it: model names only once the vote is in. <see cref="Prompt"/>,
/// <see cref="AnswerA"/>, <see cref="AnswerB"/> and the finished flags are the latest turn's (the only turn's in a
/// single-turn battle); <see cref="Turns"/> holds every turn, the latest last.
/// </summary>
public sealed record BattleView(Guid Id, string Prompt, string AnswerA, string AnswerB, bool FinishedA, bool FinishedB, string? Error,
    string? Vote, string? ModelA, string? ModelB, bool? Counted, IReadOnlyList<TurnView> Turns, int MaxTurns)
{
    /// <summary>How many turns the battle has (Chatbot Arena's <c>turn</c>).</summary>
    public int Turn => Turns.Count;
    public bool CanFollowUp => Vote is null && Error is null && FinishedA && FinishedB && Turn < MaxTurns;
}

/// <summary>One turn of a <see cref="BattleView"/>.</summary>
public sealed record TurnView(int Turn, string Prompt, string AnswerA, string AnswerB, bool FinishedA, bool FinishedB);

/// <summary>One row of the admin list.</summary>
public sealed record BattleRow(Guid Id, DateTimeOffset CreatedAt, string Prompt, int Turns, string ModelA, string ModelB, string AnswerA, string AnswerB,
    Guid? VoteId, string? Winner, DateTimeOffset? VotedAt, string? IdentifiedBy, string? ExcludedReason, string? ExcludedBy);

/// <summary>Votes of one voter that an admin left out of the ratings.</summary>
public sealed record ExcludedVoter(string VisitorHash, int Votes, string Reason);

/// <summary>The outlier-voter analysis against one ratings snapshot, and the voters already excluded.</summary>
public sealed record VoterReview(DateTimeOffset RatingsComputedAt, OutlierVoterOptions Options, IReadOnlyList<VoterAgreement> Voters, IReadOnlyList<ExcludedVoter> Excluded)
{
    public IEnumerable<VoterAgreement> Flagged => Voters.Where(v => v.Flagged);
    public int Judged => Voters.Count(v => v.Decisive >= Options.MinVotes);
}

/// <summary>Reads and admin edits for the arena pages and API: one context per operation.</summary>
public sealed class ArenaQueries(IDbContextFactory<EvalsDbContext> dbFactory, ISchedulerFactory schedulers, ArenaOptions options, TimeProvider time)
{
    public async Task<(ArenaRatingSnapshot Snapshot, ArenaRatings Ratings)?> LatestRatingsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var latest = await db.ArenaRatingSnapshots.AsNoTracking().OrderByDescending(s => s.Id).FirstOrDefaultAsync(cancellationToken);
        return latest is null ? null : (latest, ArenaRatingsCalculator.Read(latest));
    }

    /// <summary>The battle if <paramref name="visitorHash"/> started it; null otherwise (another visitor's battle is not shown).</summary>
    public async Task<BattleView?> BattleAsync(Guid id, string? visitorHash, LiveBattle? live, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var b = await ArenaBattles.LoadAsync(db, id, cancellationToken);
        if (b is null || b.VisitorHash != visitorHash) return null;
        var (liveA, liveB) = live?.Text ?? ("", "");
        var turns = b.Turns().Select(t =>
        {
            // A turn still streaming is shown from the node's live text, if this node runs it.
            var streaming = live is not null && live.Turn == t.Number;
            return new TurnView(t.Number, t.Prompt,
                t.AnswerAFinishedAt is null ? (streaming ? liveA : "") : t.AnswerA, t.AnswerBFinishedAt is null ? (streaming ? liveB : "") : t.AnswerB,
                t.AnswerAFinishedAt is not null, t.AnswerBFinishedAt is not null);
        }).ToList();
        var latest = turns[^1];
        var voted = b.Vote is not null;
        return new BattleView(b.Id, latest.Prompt, latest.AnswerA, latest.AnswerB, latest.FinishedA, latest.FinishedB, b.Error,
            b.Vote?.Winner, voted ? b.ModelA : null, voted ? b.ModelB : null,
            voted ? b.Vote!.IdentifiedBy is null && b.Vote.ExcludedReason is null : null, turns, options.MaxTurns);
    }

    public async Task<IReadOnlyList<BattleRow>> RecentBattlesAsync(int take, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ArenaBattles.AsNoTracking().OrderByDescending(b => b.CreatedAt).Take(take)
            .Select(b => new BattleRow(b.Id, b.CreatedAt, b.Prompt, 1 + b.FollowUps.Count, b.ModelA, b.ModelB, b.AnswerA, b.AnswerB,
                b.Vote == null ? null : b.Vote.Id, b.Vote == null ? null : b.Vote.Winner, b.Vote == null ? null : b.Vote.VotedAt,
                b.Vote == null ? null : b.Vote.IdentifiedBy, b.Vote == null ? null : b.Vote.ExcludedReason, b.Vote == null ? null : b.Vote.ExcludedBy))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Leaves a vote out of the ratings, keeping it; null on success, else why not.</summary>
    public async Task<string?> ExcludeVoteAsync(Guid voteId, string? reason, string admin, CancellationToken cancellationToken = default)
    {
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason)) return "A reason is required to exclude a vote.";
        if (reason.Length > 500) return "The reason is longer than 500 characters.";
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var changed = await db.ArenaVotes.Where(v => v.Id == voteId && v.ExcludedReason == null)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.ExcludedReason, reason).SetProperty(v => v.ExcludedBy, admin).SetProperty(v => v.ExcludedAt, now), cancellationToken);
        return changed == 1 ? null : $"Vote {voteId} does not exist or is already excluded.";
    }

    /// <summary>
    /// Each voter's counted votes against the latest ratings (<see cref="OutlierVoters"/>), worst agreement first, and
    /// the voters whose votes were excluded; null before the first ratings snapshot.
    /// </summary>
    public async Task<VoterReview?> VotersAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var latest = await db.ArenaRatingSnapshots.AsNoTracking().OrderByDescending(s => s.Id).FirstOrDefaultAsync(cancellationToken);
        if (latest is null) return null;
        var ratings = ArenaRatingsCalculator.Read(latest).Rows.ToDictionary(r => r.Model, r => r.Rating, StringComparer.Ordinal);
        var votes = await db.ArenaVotes.AsNoTracking().Where(v => v.IdentifiedBy == null && v.ExcludedReason == null)
            .Select(v => new { v.VisitorHash, v.Battle!.ModelA, v.Battle.ModelB, v.Winner }).ToListAsync(cancellationToken);
        var outlierOptions = new OutlierVoterOptions(options.OutlierMinVotes, options.OutlierZThreshold);
        var analysis = OutlierVoters.Analyse(votes.Select(v => new VoterBattle(v.VisitorHash, new Battle(v.ModelA, v.ModelB, Battle.ParseWinner(v.Winner)))), ratings, outlierOptions);
        var excludedVotes = await db.ArenaVotes.AsNoTracking().Where(v => v.ExcludedReason != null)
            .Select(v => new { v.VisitorHash, v.ExcludedReason }).ToListAsync(cancellationToken);
        var excluded = excludedVotes.GroupBy(v => v.VisitorHash)
            .Select(g => new ExcludedVoter(g.Key, g.Count(), g.Select(v => v.ExcludedReason!).Distinct().Order(StringComparer.Ordinal).First()))
            .OrderByDescending(x => x.Votes).ThenBy(x => x.VisitorHash, StringComparer.Ordinal).Take(100).ToList();
        return new VoterReview(latest.ComputedAt, outlierOptions, analysis, excluded);
    }

    /// <summary>Leaves every not yet excluded vote of one voter out of the ratings: the per-vote exclusion, for all of them.</summary>
    /// <returns>The votes excluded, or the error and, when the reason is at fault, "reason".</returns>
    public async Task<(string? Error, string? Field, int Excluded)> ExcludeVoterAsync(string visitorHash, string? reason, string admin, CancellationToken cancellationToken = default)
    {
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason)) return ("A reason is required to exclude a voter's votes.", "reason", 0);
        if (reason.Length > 500) return ("The reason is longer than 500 characters.", "reason", 0);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var changed = await db.ArenaVotes.Where(v => v.VisitorHash == visitorHash && v.ExcludedReason == null)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.ExcludedReason, reason).SetProperty(v => v.ExcludedBy, admin).SetProperty(v => v.ExcludedAt, now), cancellationToken);
        return changed == 0 ? ($"Voter {visitorHash[..Math.Min(12, visitorHash.Length)]}… has no vote left to exclude.", null, 0) : (null, null, changed);
    }

    public async Task<IReadOnlyList<string>> NameTermsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ArenaNameTerms.AsNoTracking().OrderBy(t => t.Term).Select(t => t.Term).ToListAsync(cancellationToken);
    }

    /// <summary>Adds a name to the detection list; null on success, else why not.</summary>
    public async Task<string?> AddNameTermAsync(string? term, CancellationToken cancellationToken = default)
    {
        term = term?.Trim();
        if (string.IsNullOrEmpty(term)) return "The name is empty.";
        if (term.Length > 64) return "The name is longer than 64 characters.";
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.ArenaNameTerms.AnyAsync(t => t.Term == term, cancellationToken)) return $"'{term}' is already on the list.";
        db.ArenaNameTerms.Add(new ArenaNameTerm { Term = term, CreatedAt = time.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return $"'{term}' is already on the list.";
        }
        return null;
    }

    public async Task RemoveNameTermAsync(string term, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.ArenaNameTerms.Where(t => t.Term == term).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>Asks the cluster to recompute the ratings now (whichever worker node picks it up).</summary>
    public async Task RecomputeAsync(CancellationToken cancellationToken = default)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.TriggerJob(ArenaRatingsJob.Key, new JobDataMap { [ArenaRatingsJob.ForceKey] = "true" }, cancellationToken);
    }
}
