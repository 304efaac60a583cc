using System.Collections.Concurrent;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.V1;

public sealed record ServedModel(string Name, string Kind, DateTimeOffset CreatedAt);

/// <summary>
/// The registered models (<c>evals models add</c>) as /v1 serves them. A model's backend is created on its first request
/// and kept; a re-registered spec gets a new backend. Backends are disposed when the app stops.
/// </summary>
public sealed class ServedModels(IDbContextFactory<EvalsDbContext> dbFactory, BackendFactory backends) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<IModelBackend>>> _loaded = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<ServedModel>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Models.AsNoTracking().OrderBy(m => m.Name).Select(m => new ServedModel(m.Name, m.Kind, m.CreatedAt)).ToListAsync(cancellationToken);
    }

    /// <summary>The backend serving <paramref name="name"/>, or null when no model has that name.</summary>
    public async Task<IModelBackend?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var spec = await db.Models.AsNoTracking().Where(m => m.Name == name).Select(m => m.Spec).FirstOrDefaultAsync(cancellationToken);
        if (spec is null) return null;
        var lazy = _loaded.GetOrAdd($"{name}\n{spec}", _ => new Lazy<Task<IModelBackend>>(() => Task.Run(() => backends.Create(ModelSpec.Parse(spec)))));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            // A model that failed to load (folder moved, library missing) is tried again on the next request.
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<IModelBackend>>>($"{name}\n{spec}", lazy));
            throw;
        }
    }

    /// <summary>
    /// One generation as /v1 streams it: text pieces go to <paramref name="onText"/> as the backend produces them (all at
    /// the end for a backend that cannot stream). The arena calls this too, so its answers come the same way.
    /// </summary>
    public static Task<Generation> GenerateAsync(IModelBackend backend, GenerateRequest request, Action<string> onText, CancellationToken cancellationToken) =>
        backend is IStreamingModelBackend streaming
            ? streaming.GenerateAsync(request, onText, cancellationToken)
            : backend.GenerateAsync(request, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _loaded.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) await lazy.Value.Result.DisposeAsync();
        }
        _loaded.Clear();
    }
}
