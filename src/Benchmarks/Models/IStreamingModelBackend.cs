namespace Evals.Benchmarks.Models;

/// <summary>
/// A backend that can hand out generated text as it is produced (for streamed responses). Backends without it are
/// streamed as one piece once generation ends.
/// </summary>
public interface IStreamingModelBackend : IModelBackend
{
    /// <summary>Like <see cref="IModelBackend.GenerateAsync"/>, calling <paramref name="onText"/> with each new piece of text, in order.</summary>
    Task<Generation> GenerateAsync(GenerateRequest request, Action<string> onText, CancellationToken cancellationToken = default);
}
