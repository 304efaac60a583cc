using System.Diagnostics;
using Quartz;

namespace Evals.Runner.Jobs;

/// <summary>How a run becomes a Quartz job: one job per run, keyed by the run id, fired once, recoverable.</summary>
public static class RunScheduling
{
    public const string Group = "runs";
    public const string RunIdKey = "run_id";
    /// <summary>The submitting span's W3C traceparent, so the job's span continues the submission's trace on whichever node runs it.</summary>
    public const string TraceParentKey = "traceparent";

    public static JobKey KeyFor(Guid runId) => new(runId.ToString(), Group);

    public static async Task EnqueueAsync(IScheduler scheduler, Guid runId, CancellationToken cancellationToken = default)
    {
        var job = JobBuilder.Create<EvaluateRunJob>()
            .WithIdentity(KeyFor(runId))
            .UsingJobData(RunIdKey, runId.ToString())
            .RequestRecovery()
            .Build()
            .WithSubmittingTrace();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(runId.ToString(), Group)
            .ForJob(job)
            .StartNow()
            .Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: cancellationToken);
    }

    /// <summary>Carries the current span's traceparent (the submission, a retry, a janitor pass) into the job's data.</summary>
    public static IJobDetail WithSubmittingTrace(this IJobDetail job)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } submitting) job.JobDataMap[TraceParentKey] = submitting.Id!;
        return job;
    }
}
