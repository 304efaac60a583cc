using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Baselines;

namespace Evals.Runner.Backends;

/// <summary>Turns a spec into a backend. One line per scheme; an unknown scheme is an error naming the known ones.</summary>
public sealed class BackendFactory
{
    private static readonly string[] Schemes = [BaselineBackend.Scheme];

    public IModelBackend Create(ModelSpec spec) => spec.Scheme switch
    {
        BaselineBackend.Scheme => BaselineBackend.Create(spec),
        _ => throw new ModelSpecException($"model spec '{spec.Text}': unknown scheme '{spec.Scheme}'; known schemes: {string.Join(", ", Schemes)}"),
    };

    /// <summary>Checks a spec without keeping the backend (used before anything is enqueued).</summary>
    public async Task ValidateAsync(ModelSpec spec)
    {
        await using var backend = Create(spec);
    }
}
