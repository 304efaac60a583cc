namespace Evals.Storage.Entities;

/// <summary>
/// One arena battle (table <c>arena_battles</c>): a visitor's prompt answered by two registered models shown as 模型 A and
/// 模型 B. The visitor is known only by the SHA-256 of their random visitor cookie; a vote is accepted only from the same
/// hash, and only once both answers have finished. The columns here are the first turn; a multi-turn battle's later
/// turns are its <see cref="FollowUps"/>, and its vote comes after the last of them.
/// </summary>
public class ArenaBattle
{
    public Guid Id { get; set; }
    public required string VisitorHash { get; set; }
    public required string Prompt { get; set; }
    public required string ModelA { get; set; }
    public required string ModelB { get; set; }
    public string AnswerA { get; set; } = "";
    public string AnswerB { get; set; } = "";
    public DateTimeOffset? AnswerAFinishedAt { get; set; }
    public DateTimeOffset? AnswerBFinishedAt { get; set; }
    /// <summary>Why an answer could not be produced (the model failed to load or to generate); such a battle takes no vote.</summary>
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public ArenaVote? Vote { get; set; }
    public List<ArenaFollowUp> FollowUps { get; set; } = [];

    /// <summary>The turns in order, turn 1 first, from the loaded <see cref="FollowUps"/>.</summary>
    public IReadOnlyList<ArenaTurn> Turns() =>
    [
        new(1, Prompt, AnswerA, AnswerB, AnswerAFinishedAt, AnswerBFinishedAt),
        .. FollowUps.OrderBy(f => f.Turn).Select(f => new ArenaTurn(f.Turn, f.Prompt, f.AnswerA, f.AnswerB, f.AnswerAFinishedAt, f.AnswerBFinishedAt)),
    ];
}

/// <summary>One turn of a battle as read: the visitor's prompt and both answers.</summary>
public sealed record ArenaTurn(int Number, string Prompt, string AnswerA, string AnswerB, DateTimeOffset? AnswerAFinishedAt, DateTimeOffset? AnswerBFinishedAt)
{
    public bool Finished => AnswerAFinishedAt is not null && AnswerBFinishedAt is not null;
}
