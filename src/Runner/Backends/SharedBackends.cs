using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends;

/// <summary>
/// The backends of the runs this process is executing, one per (run, role), shared by the run's shards that run here
/// at once: the model's <see cref="ModelCapabilities.MaxConcurrency"/> bounds the process as it did when a run was one
/// job, and an in-process model is loaded once, not once per shard. The last shard to release it disposes it.
/// </summary>
public sealed class SharedBackends
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(Guid Run, string Role), Entry> _entries = [];

    public Lease Acquire(Guid runId, string role, Func<IModelBackend> create)
    {
        Entry entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue((runId, role), out entry!))
            {
                entry = new Entry(new Lazy<BoundedBackend>(() => new BoundedBackend(create()), LazyThreadSafetyMode.ExecutionAndPublication));
                _entries[(runId, role)] = entry;
            }
            entry.Users++;
        }
        var lease = new Lease(this, (runId, role), entry);
        try
        {
            // Created outside the lock: loading one run's model must not hold up another run's shards.
            _ = entry.Backend.Value;
        }
        catch
        {
            lease.Forget();
            throw;
        }
        return lease;
    }

    internal sealed class Entry(Lazy<BoundedBackend> backend)
    {
        public Lazy<BoundedBackend> Backend { get; } = backend;
        public int Users { get; set; }
    }

    /// <summary>A shard's use of a shared backend; disposing it disposes the backend if no other shard here uses it.</summary>
    public sealed class Lease : IAsyncDisposable
    {
        private readonly SharedBackends _owner;
        private readonly (Guid, string) _key;
        private readonly Entry _entry;
        private bool _released;

        internal Lease(SharedBackends owner, (Guid, string) key, Entry entry) => (_owner, _key, _entry) = (owner, key, entry);

        public BoundedBackend Backend => _entry.Backend.Value;

        /// <summary>Creation failed: drop the entry so that the next shard tries again.</summary>
        internal void Forget()
        {
            lock (_owner._lock)
            {
                _released = true;
                if (--_entry.Users == 0 && _owner._entries.GetValueOrDefault(_key) == _entry) _owner._entries.Remove(_key);
            }
        }

        public async ValueTask DisposeAsync()
        {
            bool last;
            lock (_owner._lock)
            {
                if (_released) return;
                _released = true;
                last = --_entry.Users == 0;
                if (last && _owner._entries.GetValueOrDefault(_key) == _entry) _owner._entries.Remove(_key);
            }
            if (last) await _entry.Backend.Value.DisposeAsync();
        }
    }
}
