namespace Evals.Storage.Entities;

/// <summary>
/// One arena battle (table <c>arena_battles</c>): a visitor's prompt answered by two registered models shown as 模型 A and
/// 模型 B. The visitor is known only by the SHA-256 of their random visitor cookie; a vote is accepted only from the same
/// hash, and only once both answers have finished.
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
}
