using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;

namespace Evals.Web.Hosting;

/// <summary>
/// Results that cost a bootstrap over every item and never change for the same key: two finished runs' comparison, a
/// finished offline experiment's report, a run's summary at a given state. Bounded (<c>Cache:MaxEntries</c>, least
/// recently used first out); requests for one key share one computation, so any number of open run pages cost one
/// summary per change of the run. A computation that throws is not kept. Each computation is logged, which is how an
/// operator (or a test) tells what was computed from what was served from memory.
/// </summary>
public sealed class ComputedResultCache(IConfiguration configuration, ILogger<ComputedResultCache> logger) : IDisposable
{
    public const string ComputedLog = "Computed";
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Math.Max(1, configuration.GetValue("Cache:MaxEntries", 500)) });
    private readonly Lock _gate = new();

    public async Task<T> GetOrComputeAsync<T>(string kind, string key, Func<Task<T>> compute, CancellationToken cancellationToken)
    {
        var cacheKey = $"{kind}:{key}";
        Lazy<Task<T>>? entry;
        lock (_gate)
        {
            if (!_cache.TryGetValue(cacheKey, out entry) || entry is null)
            {
                entry = new Lazy<Task<T>>(() => ComputeAsync(kind, key, compute));
                _cache.Set(cacheKey, entry, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) });
            }
        }
        try
        {
            // The computation is shared: one caller leaving must not cancel it for the others.
            return await entry.Value.WaitAsync(cancellationToken);
        }
        catch when (entry.Value.IsFaulted || entry.Value.IsCanceled)
        {
            lock (_gate)
                if (_cache.TryGetValue(cacheKey, out Lazy<Task<T>>? current) && ReferenceEquals(current, entry)) _cache.Remove(cacheKey);
            throw;
        }
    }

    private async Task<T> ComputeAsync<T>(string kind, string key, Func<Task<T>> compute)
    {
        var started = Stopwatch.GetTimestamp();
        var value = await Task.Run(compute);
        logger.LogInformation(ComputedLog + " {Kind} {Key} in {Milliseconds:0} ms", kind, key, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return value;
    }

    public void Dispose() => _cache.Dispose();
}
