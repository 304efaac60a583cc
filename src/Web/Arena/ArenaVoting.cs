using Evals.Benchmarks.Ratings;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Web.Arena;

/// <summary>The result of a vote attempt: HTTP status, a message for people, and the models' names once revealed.</summary>
public sealed record VoteOutcome(int Status, string Message, bool Accepted, bool Counted = false, string? IdentifiedBy = null, string? ModelA = null, string? ModelB = null, LimitRefusal? Limit = null);

/// <summary>
/// The one code path for votes, used by the arena page and <c>POST /api/arena/battles/{id}/vote</c> alike. A vote is
/// accepted only within the limits (<see cref="ArenaLimits"/>, every attempt within them counts), for a battle that exists, from the visitor that saw it, after both answers
/// finished without error, and once (a unique index backs the check against races). A vote whose battle's answers name
/// a model is stored but does not count in the ratings. A multi-turn battle's vote comes after its last turn: it needs
/// every turn's answers finished, and it ends the conversation.
/// </summary>
public sealed class ArenaVoting(IDbContextFactory<EvalsDbContext> dbFactory, ArenaLimits limits, TimeProvider time, ILogger<ArenaVoting> logger)
{
    /// <summary>Accepted spellings: Chatbot Arena's winners and the page's buttons' short names.</summary>
    public static BattleWinner? ParseWinner(string? winner) => winner switch
    {
        "model_a" or "a" => BattleWinner.ModelA,
        "model_b" or "b" => BattleWinner.ModelB,
        "tie" => BattleWinner.Tie,
        "tie (bothbad)" or "bothbad" => BattleWinner.TieBothBad,
        _ => null,
    };

    public async Task<VoteOutcome> VoteAsync(Guid battleId, string? visitorHash, System.Net.IPAddress? ip, string? winnerText, CancellationToken cancellationToken = default)
    {
        var outcome = await DecideAsync(battleId, visitorHash, ip, winnerText, cancellationToken);
        Hosting.WebTelemetry.ArenaVotes.Add(1, Hosting.WebTelemetry.Result(!outcome.Accepted ? "refused" : outcome.Counted ? "counted" : "kept_not_counted"));
        return outcome;
    }

    private async Task<VoteOutcome> DecideAsync(Guid battleId, string? visitorHash, System.Net.IPAddress? ip, string? winnerText, CancellationToken cancellationToken)
    {
        if (ParseWinner(winnerText) is not { } winner)
            return new(StatusCodes.Status400BadRequest, $"'winner' must be one of model_a, model_b, tie, tie (bothbad) (got '{winnerText}').", false);
        if (visitorHash is null)
            return new(StatusCodes.Status403Forbidden, $"No visitor cookie: a vote is accepted only from the session that saw the battle (its '{VisitorCookie.Name}' cookie).", false);
        if (await limits.TryVoteAsync(visitorHash, ip, cancellationToken) is { } limited)
            return Refused(StatusCodes.Status429TooManyRequests, limited.Message, battleId) with { Limit = limited };

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The battle row is locked until the vote is stored, as a follow-up locks it: a vote never lands before a turn
        // that was being added at the same moment.
        await ArenaBattles.LockAsync(db, battleId, cancellationToken);
        var battle = await ArenaBattles.LoadAsync(db, battleId, cancellationToken);
        if (battle is null) return Refused(StatusCodes.Status404NotFound, $"No battle {battleId}.", battleId);
        if (battle.VisitorHash != visitorHash)
            return Refused(StatusCodes.Status403Forbidden, "This battle was shown to another session; only that session may vote on it.", battleId);
        if (battle.Vote is not null) return Refused(StatusCodes.Status409Conflict, "This battle already has its vote; a battle takes one vote.", battleId);
        if (battle.Error is not null) return Refused(StatusCodes.Status409Conflict, $"This battle takes no vote: {battle.Error}.", battleId);
        var turns = battle.Turns();
        if (!turns.All(t => t.Finished))
            return Refused(StatusCodes.Status409Conflict, "The answers are still being written; vote once both have finished.", battleId);

        var detector = await DetectorAsync(db, cancellationToken);
        // Any turn's answer that names a model gives the game away for the whole battle.
        var identifiedBy = detector.Detect(string.Join("\n", turns.Select(t => t.AnswerA)), string.Join("\n", turns.Select(t => t.AnswerB)));
        db.ArenaVotes.Add(new ArenaVote
        {
            BattleId = battle.Id,
            Winner = Battle.FormatWinner(winner),
            VisitorHash = visitorHash,
            VotedAt = time.GetUtcNow(),
            IdentifiedBy = identifiedBy,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Refused(StatusCodes.Status409Conflict, "This battle already has its vote; a battle takes one vote.", battleId);
        }
        var message = identifiedBy is null
            ? "Thank you: your vote counts in the ratings."
            : $"Thank you: your vote is kept but does not count in the ratings, because an answer names a model ({identifiedBy}).";
        return new(StatusCodes.Status200OK, message, true, identifiedBy is null, identifiedBy, battle.ModelA, battle.ModelB);
    }

    /// <summary>The admin list plus every registered model's name and family.</summary>
    public static async Task<NameDetector> DetectorAsync(EvalsDbContext db, CancellationToken cancellationToken)
    {
        var terms = await db.ArenaNameTerms.AsNoTracking().Select(t => t.Term).ToListAsync(cancellationToken);
        var models = await db.Models.AsNoTracking().Select(m => new { m.Name, m.Family }).ToListAsync(cancellationToken);
        return new NameDetector(terms.Concat(models.Select(m => m.Name)).Concat(models.Where(m => m.Family != null).Select(m => m.Family!)));
    }

    private VoteOutcome Refused(int status, string message, Guid battleId)
    {
        logger.LogInformation("Arena vote on {Battle} refused ({Status}): {Message}", battleId, status, message);
        return new(status, message, false);
    }
}
