namespace Evals.Storage.Entities;

/// <summary>
/// A follow-up turn of a multi-turn arena battle (table <c>arena_follow_ups</c>): the visitor's next prompt and both
/// models' answers to the whole conversation so far. Turn 1 is the battle row itself (<see cref="ArenaBattle.Prompt"/>,
/// <see cref="ArenaBattle.AnswerA"/>, …), so a single-turn battle has no rows here; follow-ups number from 2, unique
/// per battle.
/// </summary>
public class ArenaFollowUp
{
    public long Id { get; set; }
    public Guid BattleId { get; set; }
    public ArenaBattle? Battle { get; set; }
    /// <summary>The turn's number in the conversation: 2 for the first follow-up.</summary>
    public int Turn { get; set; }
    public required string Prompt { get; set; }
    public string AnswerA { get; set; } = "";
    public string AnswerB { get; set; } = "";
    public DateTimeOffset? AnswerAFinishedAt { get; set; }
    public DateTimeOffset? AnswerBFinishedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
