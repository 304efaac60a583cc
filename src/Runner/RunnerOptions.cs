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
}
