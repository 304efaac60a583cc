namespace Evals.Storage.Entities;

public class Item
{
    public long Id { get; set; }
    public Guid TaskId { get; set; }
    public required string Split { get; set; }
    public required string Key { get; set; }
    public int Ordinal { get; set; }
    /// <summary>The item's fields as published (jsonb).</summary>
    public required string Payload { get; set; }
}
