namespace Evals.Storage.Entities;

/// <summary>
/// The one vote of a battle (table <c>arena_votes</c>, unique per battle). A vote is always kept; it counts in the
/// ratings only when no answer named a model (<see cref="IdentifiedBy"/>) and no admin excluded it (<see cref="ExcludedReason"/>).
/// </summary>
public class ArenaVote
{
    public Guid Id { get; set; }
    public Guid BattleId { get; set; }
    public ArenaBattle? Battle { get; set; }
    /// <summary>As in Chatbot Arena's battle records: <c>model_a</c>, <c>model_b</c>, <c>tie</c>, <c>tie (bothbad)</c>.</summary>
    public required string Winner { get; set; }
    public required string VisitorHash { get; set; }
    public DateTimeOffset VotedAt { get; set; }
    /// <summary>What in the answers identified a model ("answer A: 通义千问"), or null.</summary>
    public string? IdentifiedBy { get; set; }
    public string? ExcludedReason { get; set; }
    public string? ExcludedBy { get; set; }
    public DateTimeOffset? ExcludedAt { get; set; }
}
