namespace Evals.Storage.Entities;

/// <summary>
/// An item of a database-backed regression suite (table <c>regression_items</c>): a real user question, usually a
/// low-rated trace promoted from the feedback page, with a reference answer an admin wrote. A run of the suite stores
/// its items as a task version hashed from their content, so adding an item makes a new suite version.
/// </summary>
public class RegressionItem
{
    public long Id { get; set; }
    public required string Suite { get; set; }
    /// <summary>Unique within the suite; for a promoted trace, its feedback event id.</summary>
    public required string Key { get; set; }
    public required string Input { get; set; }
    public required string Reference { get; set; }
    /// <summary>The feedback event it came from, if any.</summary>
    public long? FeedbackId { get; set; }
    /// <summary>The admin key's name that added it.</summary>
    public required string AddedBy { get; set; }
    public DateTimeOffset AddedAt { get; set; }
}
