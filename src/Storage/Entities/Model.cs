namespace Evals.Storage.Entities;

/// <summary>A registered model version: a name people use in place of a spec.</summary>
public class Model
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The spec's scheme: baseline, onnx, openai.</summary>
    public required string Kind { get; set; }
    public required string Spec { get; set; }
    public string? Family { get; set; }
    public string? Checkpoint { get; set; }
    /// <summary>When a gate (<c>evals gate --accept-on-pass</c>) or <c>evals models accept</c> accepted this checkpoint; the
    /// family's latest accepted checkpoint is the one with the greatest value.</summary>
    public DateTimeOffset? AcceptedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
