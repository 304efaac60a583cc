using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends;

/// <summary>
/// Lets at most <see cref="ModelCapabilities.MaxConcurrency"/> calls into a backend at once. The run pipeline keeps
/// more items in flight than one backend takes when a run has a judge (an item waits on the model, then on the judge), so
/// each backend bounds its own calls: a model slot is never held while the judge answers, and an in-process engine that
/// serves one request at a time is never entered twice.
/// </summary>
public sealed class BoundedBackend(IModelBackend inner) : IModelBackend
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, inner.Capabilities.MaxConcurrency));

    public ModelCapabilities Capabilities => inner.Capabilities;

    public string Description => inner.Description;

    public async Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await inner.GenerateAsync(request, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    public async Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await inner.ScoreChoicesAsync(request, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        _slots.Dispose();
    }
}
