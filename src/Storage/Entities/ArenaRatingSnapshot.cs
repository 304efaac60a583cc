namespace Evals.Storage.Entities;

/// <summary>
/// Arena ratings as computed at one moment (table <c>arena_rating_snapshots</c>): Elo and Bradley–Terry with intervals,
/// rank ranges and the pairwise matrices, as JSON. The ratings page reads the latest one.
/// </summary>
public class ArenaRatingSnapshot
{
    public long Id { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
    /// <summary>Votes that counted.</summary>
    public int Battles { get; set; }
    /// <summary>Votes kept but left out (a model named in an answer, or excluded by an admin).</summary>
    public int Excluded { get; set; }
    public required string Payload { get; set; }
}
