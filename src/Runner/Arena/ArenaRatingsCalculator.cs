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

    /// <summary>The counted votes as battles, in time order (ties in time broken by vote id, so the order is stable), each
    /// answer's style measured from its stored text (a pure function of it, so it is derived here rather than stored twice).
    /// A multi-turn battle's style counts every answer of its side, as FastChat sums a conversation's assistant turns, and
    /// its categories come from all its user turns (so it is <see cref="PromptCategories.MultiTurn"/>).</summary>
    /// <param name="bankCategories">The prompt bank's category of each bank prompt (by its text, matched on the first
    /// turn); null or missing: none.</param>
    public static async Task<IReadOnlyList<Battle>> CountedBattlesAsync(EvalsDbContext db, IReadOnlyDictionary<string, string>? bankCategories = null,
        CancellationToken cancellationToken = default) =>
        (await CountedConversationsAsync(db, cancellationToken))
        .Select(v => new Battle(v.ModelA, v.ModelB, Battle.ParseWinner(v.Winner))
        {
            StyleA = AnswerStyle.Measure(v.Turns.Select(t => t.AnswerA)),
            StyleB = AnswerStyle.Measure(v.Turns.Select(t => t.AnswerB)),
            Categories = PromptCategories.Of(v.Turns.Select(t => t.Prompt).ToList(), bankCategories?.GetValueOrDefault(v.Turns[0].Prompt)),
        })
        .ToList();

    /// <summary>
    /// The counted votes with their whole conversations, in the order <see cref="CountedBattlesAsync"/> rates them: what
    /// the ratings are computed from, and what the battle export writes.
    /// </summary>
    public static async Task<IReadOnlyList<CountedConversation>> CountedConversationsAsync(EvalsDbContext db, CancellationToken cancellationToken = default)
    {
        var rows = await db.ArenaVotes.AsNoTracking()
            .Where(v => v.IdentifiedBy == null && v.ExcludedReason == null)
            .OrderBy(v => v.VotedAt).ThenBy(v => v.Id)
            .Select(v => new
            {
                v.BattleId, v.VisitorHash, v.VotedAt, v.Battle!.ModelA, v.Battle.ModelB, v.Winner, v.Battle.AnswerA, v.Battle.AnswerB, v.Battle.Prompt,
                FollowUps = v.Battle.FollowUps.OrderBy(f => f.Turn).Select(f => new { f.Prompt, f.AnswerA, f.AnswerB }).ToList(),
            })
            .AsSplitQuery()
            .ToListAsync(cancellationToken);
        return rows.Select(v => new CountedConversation(v.BattleId, v.VisitorHash, v.VotedAt, v.ModelA, v.ModelB, v.Winner,
            [new(v.Prompt, v.AnswerA, v.AnswerB), .. v.FollowUps.Select(f => new CountedConversation.Turn(f.Prompt, f.AnswerA, f.AnswerB))])).ToList();
    }

    /// <summary>The bank's category of each prompt in <c>arena/prompts.jsonl</c> under the datasets root; lines the arena
    /// page would refuse are skipped here (the page names them).</summary>
    public static IReadOnlyDictionary<string, string> BankCategories(string datasetsRoot)
    {
        var path = Path.Combine(datasetsRoot, "arena", "prompts.jsonl");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return map;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String
                    && doc.RootElement.TryGetProperty("category", out var category) && category.ValueKind == JsonValueKind.String)
                    map[prompt.GetString()!] = category.GetString()!;
            }
            catch (JsonException)
            {
            }
        }
        return map;
    }

    /// <summary>The overall leaderboard, and one per prompt category with at least one battle (<see cref="PromptCategories"/>).</summary>
    public static ArenaRatings Compute(IReadOnlyList<Battle> battles, int rounds, long seed)
    {
        var overall = Board(battles, rounds, seed);
        var categories = battles.SelectMany(b => b.Categories ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .ToDictionary(c => c, c =>
            {
                var some = battles.Where(b => b.Categories!.Contains(c, StringComparer.Ordinal)).ToList();
                return new ArenaRatings.CategoryRatings(some.Count, Board(some, rounds, seed).Rows);
            });
        return overall with { Categories = categories.Count == 0 ? null : categories };
    }

    private static ArenaRatings Board(IReadOnlyList<Battle> battles, int rounds, long seed)
    {
        var elo = EloRating.Compute(battles).ToDictionary();
        var bt = BradleyTerry.Leaderboard(battles, rounds, seed);
        var styleBoard = battles.All(b => b.StyleA is not null && b.StyleB is not null) ? StyleControl.Leaderboard(battles, rounds, seed) : null;
        var styled = styleBoard?.Rows.ToDictionary(r => r.Model);
        var rows = bt.Rows.Select(r => new ArenaRatings.Row(r.Model, r.Rating, r.CiLow, r.CiHigh, r.BestRank, r.WorstRank, r.Votes, elo[r.Model],
            styled?[r.Model].Rating, styled?[r.Model].CiLow, styled?[r.Model].CiHigh)).ToList();
        var matrices = bt.Matrices;
        var fraction = matrices.WinFraction.Select(row => row.Select(v => double.IsNaN(v) ? (double?)null : v).ToArray()).ToArray();
        return new ArenaRatings(rows, matrices.Models, fraction, matrices.BattleCounts, rounds, seed, bt.Converged, styleBoard?.Coefficients);
    }

    /// <summary>Computes and stores a snapshot; returns it.</summary>
    public static async Task<ArenaRatingSnapshot> SnapshotAsync(EvalsDbContext db, ArenaRatingOptions options, TimeProvider time,
        IReadOnlyDictionary<string, string>? bankCategories = null, CancellationToken cancellationToken = default)
    {
        var battles = await CountedBattlesAsync(db, bankCategories, cancellationToken);
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

/// <summary>A counted vote and the conversation it judged, turn 1 first.</summary>
public sealed record CountedConversation(Guid BattleId, string VisitorHash, DateTimeOffset VotedAt, string ModelA, string ModelB, string Winner,
    IReadOnlyList<CountedConversation.Turn> Turns)
{
    public sealed record Turn(string Prompt, string AnswerA, string AnswerB);
}
