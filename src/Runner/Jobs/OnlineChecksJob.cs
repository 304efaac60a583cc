using Evals.Runner.Feedback;
using Quartz;

namespace Evals.Runner.Jobs;

/// <summary>
/// Fires every <see cref="OnlineChecksOptions.IntervalSeconds"/> on one node of the cluster at a time and runs one pass
/// of <see cref="OnlineChecks"/>. Idempotent: results are unique per (event, check). A failure is logged by Quartz and
/// the next firing tries again; there is nothing to mark failed.
/// </summary>
[DisallowConcurrentExecution]
public sealed class OnlineChecksJob(OnlineChecks checks) : IJob
{
    public static readonly JobKey Key = new("online-checks", "feedback");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await checks.RunAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new JobExecutionException($"online checks failed: {e.Message}", e);
        }
    }
}
