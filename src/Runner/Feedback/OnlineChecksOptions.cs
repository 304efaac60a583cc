namespace Evals.Runner.Feedback;

/// <summary>Settings under <c>OnlineChecks</c> (environment: <c>OnlineChecks__JudgeModel</c>, …).</summary>
public sealed class OnlineChecksOptions
{
    /// <summary>Whether worker nodes schedule the checks job.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>How often the job samples traffic.</summary>
    public int IntervalSeconds { get; set; } = 600;
    /// <summary>Events checked per firing at most (the judge costs a model call or two per event).</summary>
    public int SampleSize { get; set; } = 200;
    /// <summary>How far back "recent traffic" reaches.</summary>
    public int WindowDays { get; set; } = 7;
    /// <summary>The hallucination judge: a model spec or a registered model's name; unset, the hallucination check is skipped.</summary>
    public string? JudgeModel { get; set; }
    /// <summary>Judge calls in flight at once (also bounded by the backend's own concurrency).</summary>
    public int JudgeConcurrency { get; set; } = 4;

    public void Validate()
    {
        if (IntervalSeconds < 1) throw new InvalidOperationException($"OnlineChecks:IntervalSeconds must be at least 1 (got {IntervalSeconds})");
        if (SampleSize < 1) throw new InvalidOperationException($"OnlineChecks:SampleSize must be at least 1 (got {SampleSize})");
        if (WindowDays < 1) throw new InvalidOperationException($"OnlineChecks:WindowDays must be at least 1 (got {WindowDays})");
        if (JudgeConcurrency < 1) throw new InvalidOperationException($"OnlineChecks:JudgeConcurrency must be at least 1 (got {JudgeConcurrency})");
    }
}
