using System.Text.Json;
using Evals.Benchmarks.Ratings;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Arena;

/// <summary>
/// Arena ratings from the stored votes: the counted ones (no model named in an answer, not excluded by an admin), in the
/// order they were cast, through the same library as <c>evals arena rate</c>.
/// </summary>
public static class ArenaRatingsCalculator
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The counted votes as battles, in time order (ties in time broken by vote id, so the order is stable).</summary>
    public static async Task<IReadOnlyList<Battle>> CountedBattlesAsync(EvalsDbContext db, CancellationToken cancellationToken = default) =>
        (await db.ArenaVotes.AsNoTracking()
            .Where(v => v.IdentifiedBy == null && v.ExcludedReason == null)
            .OrderBy(v => v.VotedAt).ThenBy(v => v.Id)
            .Select(v => new { v.Battle!.ModelA, v.Battle.ModelB, v.Winner })
            .ToListAsync(cancellationToken))
        .Select(v => new Battle(v.ModelA, v.ModelB, Battle.ParseWinner(v.Winner)))
        .ToList();

    public static ArenaRatings Compute(IReadOnlyList<Battle> battles, int rounds, long seed)
    {
        var elo = EloRating.Compute(battles).ToDictionary();
        var bt = BradleyTerry.Leaderboard(battles, rounds, seed);
        var rows = bt.Rows.Select(r => new ArenaRatings.Row(r.Model, r.Rating, r.CiLow, r.CiHigh, r.BestRank, r.WorstRank, r.Votes, elo[r.Model])).ToList();
        var matrices = bt.Matrices;
        var fraction = matrices.WinFraction.Select(row => row.Select(v => double.IsNaN(v) ? (double?)null : v).ToArray()).ToArray();
        return new ArenaRatings(rows, matrices.Models, fraction, matrices.BattleCounts, rounds, seed, bt.Converged);
    }

    /// <summary>Computes and stores a snapshot; returns it.</summary>
    public static async Task<ArenaRatingSnapshot> SnapshotAsync(EvalsDbContext db, ArenaRatingOptions options, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var battles = await CountedBattlesAsync(db, cancellationToken);
        var excluded = await db.ArenaVotes.CountAsync(v => v.IdentifiedBy != null || v.ExcludedReason != null, cancellationToken);
        var ratings = await Task.Run(() => Compute(battles, options.BootstrapRounds, options.Seed), cancellationToken);
        var snapshot = new ArenaRatingSnapshot
        {
            ComputedAt = time.GetUtcNow(),
            Battles = battles.Count,
            Excluded = excluded,
            Payload = JsonSerializer.Serialize(ratings, Json),
        };
        db.ArenaRatingSnapshots.Add(snapshot);
        await db.SaveChangesAsync(cancellationToken);
        return snapshot;
    }

    public static ArenaRatings Read(ArenaRatingSnapshot snapshot) =>
        JsonSerializer.Deserialize<ArenaRatings>(snapshot.Payload, Json) ?? throw new InvalidDataException($"arena_rating_snapshots {snapshot.Id}: empty payload");
}
