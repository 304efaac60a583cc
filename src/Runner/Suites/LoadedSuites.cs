using Evals.Benchmarks.Suites;

namespace Evals.Runner.Suites;

/// <summary>
/// The last few suite versions this process loaded, kept for the next shard of the same run: a stored suite version
/// never changes, and reading and parsing all of a suite's items for every shard would cost each shard what the whole
/// run used to pay once.
/// </summary>
public sealed class LoadedSuites(SuiteStore suites)
{
    private const int Kept = 4;
    private readonly Lock _lock = new();
    private readonly List<(Guid SuiteId, Task<IReadOnlyList<(Guid Id, EvalTask Task)>> Tasks)> _recent = [];

    public async Task<IReadOnlyList<(Guid Id, EvalTask Task)>> LoadTasksAsync(Guid suiteId, CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<(Guid Id, EvalTask Task)>> load;
        lock (_lock)
        {
            var index = _recent.FindIndex(e => e.SuiteId == suiteId);
            if (index >= 0)
            {
                load = _recent[index].Tasks;
                _recent.RemoveAt(index);
            }
            else
            {
                // Not tied to one shard's token: other shards may be waiting on the same load.
                load = suites.LoadTasksAsync(suiteId, CancellationToken.None);
            }
            _recent.Insert(0, (suiteId, load));
            if (_recent.Count > Kept) _recent.RemoveAt(_recent.Count - 1);
        }
        try
        {
            return await load.WaitAsync(cancellationToken);
        }
        catch when (load.IsFaulted)
        {
            lock (_lock) _recent.RemoveAll(e => e.Tasks == load);
            throw;
        }
    }
}
