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
    public DateTimeOffset CreatedAt { get; set; }
}
