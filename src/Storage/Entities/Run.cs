namespace Evals.Storage.Entities;

public class Run
{
    public Guid Id { get; set; }
    public Guid? ModelId { get; set; }
    /// <summary>What the user named: a registered model's name or the spec itself.</summary>
    public required string ModelName { get; set; }
    public required string ModelSpec { get; set; }
    public Guid SuiteId { get; set; }
    public Suite? Suite { get; set; }
    /// <summary>Prompt variant, shots, seed, decoding parameters, limit, scoring mode (jsonb).</summary>
    public required string Config { get; set; }
    public RunStatus Status { get; set; }
    public int TotalItems { get; set; }
    public int CompletedItems { get; set; }
    public int FailedItems { get; set; }
    public bool CancelRequested { get; set; }
    public int Attempts { get; set; }
    public string? WorkerId { get; set; }
    /// <summary>What served the model on the last attempt (library, version, execution provider, fallbacks).</summary>
    public string? BackendReport { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>
    /// A re-scoring (<c>evals runs rescore</c>): the run whose stored outputs this one scored again, without calling the
    /// model. Null for a run that asked its model.
    /// </summary>
    public Guid? RescoredFrom { get; set; }
}

public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}
