namespace Evals.Runner;

/// <summary>Bound from the <c>Runner</c> configuration section (<c>Runner__Enabled=false</c> runs a web node without a worker).</summary>
public sealed class RunnerOptions
{
    /// <summary>Whether this process executes runs (joins the Quartz cluster as a worker).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Runs one worker executes at once.</summary>
    public int Concurrency { get; set; } = 2;
    /// <summary>How often a worker tells the cluster it is alive; another node recovers its runs after about twice this.</summary>
    public int CheckinIntervalMs { get; set; } = 5000;
    public int CheckinMisfireThresholdMs { get; set; } = 5000;
    /// <summary>How long a run waits for the database to come back before it is marked failed.</summary>
    public int DatabaseRetrySeconds { get; set; } = 60;
    /// <summary>
    /// Longest a finished result waits before it is committed (a batch is also committed when it reaches the run's batch
    /// size), and how often a running run looks for a cancel request.
    /// </summary>
    public int CommitIntervalMs { get; set; } = 1000;
    /// <summary>Datasets folder; default: the nearest <c>datasets</c> folder above the working directory.</summary>
    public string? Datasets { get; set; }
    /// <summary>
    /// Smallest shard of a run, in items (<see cref="Jobs.RunShards"/>): a run no larger is one job; a larger one is cut
    /// into shards of this many items (more when a run would have over <see cref="Jobs.RunShards.MaxShards"/>), which
    /// any worker of the cluster takes. Read where the run is submitted.
    /// </summary>
    public int ShardItems { get; set; } = 500;
    /// <summary>
    /// What this worker can serve besides the CPU, comma-separated (<c>Runner__Capabilities=cuda</c> on a GPU box). Unset:
    /// the worker takes every shard, as before capabilities existed; set (even to <c>cpu</c>): it takes only shards whose
    /// models need nothing it lacks (<c>device=cuda</c> needs <c>cuda</c>) and passes the others back to the cluster.
    /// </summary>
    public string? Capabilities { get; set; }
    /// <summary>
    /// Runs that may hold in-process models on one CUDA device of this worker at once (<see cref="Backends.DeviceBudget"/>):
    /// 1 by default, since a 7B checkpoint fills most of a GPU; raise it for small models on a large GPU.
    /// </summary>
    public int ModelsPerDevice { get; set; } = 1;

    public bool CanServe(IReadOnlySet<string> needs)
    {
        if (Capabilities is null || needs.Count == 0) return true;
        var has = Capabilities.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return needs.All(has.Contains);
    }
}
