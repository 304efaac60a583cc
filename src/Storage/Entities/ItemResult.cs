namespace Evals.Storage.Entities;

/// <summary>One item's result in one run (table <c>results</c>); unique per (run, task, item).</summary>
public class ItemResult
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public Guid TaskId { get; set; }
    public required string ItemKey { get; set; }
    public string? Prompt { get; set; }
    public string? RawOutput { get; set; }
    public string? Parsed { get; set; }
    public string? Reference { get; set; }
    public required string Outcome { get; set; }
    public double Score { get; set; }
    public double LatencyMs { get; set; }
    public int TokensIn { get; set; }
    public int TokensOut { get; set; }
    public string? Error { get; set; }
    /// <summary>Per-item details as JSON: graded metrics (EM, F1), the extraction rule that matched, and the like.</summary>
    public string? Details { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
