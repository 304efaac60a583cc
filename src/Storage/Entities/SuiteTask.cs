namespace Evals.Storage.Entities;

public class SuiteTask
{
    public Guid SuiteId { get; set; }
    public Guid TaskId { get; set; }
    public int Position { get; set; }
    public TaskVersion? Task { get; set; }
}
