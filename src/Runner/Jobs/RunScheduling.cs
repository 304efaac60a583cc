using Quartz;

namespace Evals.Runner.Jobs;

/// <summary>How a run becomes a Quartz job: one job per run, keyed by the run id, fired once, recoverable.</summary>
public static class RunScheduling
{
    public const string Group = "runs";
    public const string RunIdKey = "run_id";

    public static JobKey KeyFor(Guid runId) => new(runId.ToString(), Group);

    public static async Task EnqueueAsync(IScheduler scheduler, Guid runId, CancellationToken cancellationToken = default)
    {
        var job = JobBuilder.Create<EvaluateRunJob>()
            .WithIdentity(KeyFor(runId))
            .UsingJobData(RunIdKey, runId.ToString())
            .RequestRecovery()
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(runId.ToString(), Group)
            .ForJob(job)
            .StartNow()
            .Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: cancellationToken);
    }
}
