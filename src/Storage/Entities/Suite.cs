namespace Evals.Storage.Entities;

/// <summary>One version of a suite: the exact list of task versions it held.</summary>
public class Suite
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<SuiteTask> Tasks { get; set; } = [];
}
