namespace Evals.Storage.Entities;

/// <summary>
/// One version of a task (table <c>tasks</c>): the manifest and items as they were when hashed, so a score always
/// names the exact data it came from and every worker reads the same items.
/// </summary>
public class TaskVersion
{
    public Guid Id { get; set; }
    /// <summary><c>suite/task</c>.</summary>
    public required string Name { get; set; }
    public required string Version { get; set; }
    public required string Kind { get; set; }
    public required string Manifest { get; set; }
    public int ItemCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
