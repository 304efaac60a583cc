using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;

namespace Evals.Runner.Backends;

/// <summary>
/// A worker's GPUs as a budget: at most <see cref="RunnerOptions.ModelsPerDevice"/> runs hold in-process models on one
/// CUDA device of this process at a time. A run's model, judge and live baseline on that device, and all of its shards
/// running here (which share those models through <see cref="SharedBackends"/>), count as one. A shard of another run
/// that finds the device full is passed back to the cluster, like a shard the worker has no capability for, so a
/// worker with a free device takes it instead of this one loading a second model beside the first.
/// </summary>
/// <remarks>
/// Counted in the process, not in PostgreSQL as endpoint budgets are: a device belongs to one machine and is used only by
/// the worker process on it (one GPU worker per box, or per device), so there is nothing for other nodes to agree on.
/// </remarks>
public sealed class DeviceBudget(RunnerOptions options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<Guid, int>> _holders = new(StringComparer.Ordinal);

    /// <summary>The CUDA devices these models are loaded on (<c>cuda:0</c> for an <c>onnx:…?device=cuda</c> model).</summary>
    public static IReadOnlySet<string> DevicesOf(IEnumerable<string?> specs)
    {
        var devices = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in specs)
        {
            if (text is null) continue;
            var spec = ModelSpec.Parse(text);
            if (spec.Scheme == OnnxBackend.Scheme && spec.Options.GetValueOrDefault("device") == "cuda")
                devices.Add($"cuda:{spec.GetInt("device_id", 0, 0, 1024)}");
        }
        return devices;
    }

    /// <summary>Claims <paramref name="devices"/> for <paramref name="runId"/>, all or none; null when one is full.</summary>
    public Claim? TryClaim(Guid runId, IReadOnlySet<string> devices)
    {
        lock (_lock)
        {
            foreach (var device in devices)
            {
                var holders = _holders.GetValueOrDefault(device);
                if (holders is not null && !holders.ContainsKey(runId) && holders.Count >= options.ModelsPerDevice) return null;
            }
            foreach (var device in devices)
            {
                if (!_holders.TryGetValue(device, out var holders)) _holders[device] = holders = [];
                holders[runId] = holders.GetValueOrDefault(runId) + 1;
            }
        }
        return new Claim(this, runId, devices);
    }

    /// <summary>The runs holding <paramref name="device"/> now.</summary>
    public IReadOnlyList<Guid> HoldersOf(string device)
    {
        lock (_lock) return _holders.TryGetValue(device, out var holders) ? [.. holders.Keys] : [];
    }

    private void Release(Guid runId, IReadOnlySet<string> devices)
    {
        lock (_lock)
        {
            foreach (var device in devices)
            {
                var holders = _holders[device];
                if (--holders[runId] == 0) holders.Remove(runId);
                if (holders.Count == 0) _holders.Remove(device);
            }
        }
    }

    /// <summary>A shard's hold on its devices, released when the shard ends (after its model leases).</summary>
    public sealed class Claim(DeviceBudget owner, Guid runId, IReadOnlySet<string> devices) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Release(runId, devices);
        }
    }
}
