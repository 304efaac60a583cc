using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Evals.Runner.Jobs;

/// <summary>
/// Re-enqueues runs that are queued or running but have no Quartz job (the submitting process died between writing the
/// run and scheduling it, or a job failed while the database was down), and finishes queued runs whose cancellation
/// was asked. Fires every few seconds on one node of the cluster at a time.
/// </summary>
[DisallowConcurrentExecution]
public sealed class RunJanitorJob(IDbContextFactory<EvalsDbContext> dbFactory, TimeProvider time, ILogger<RunJanitorJob> logger) : IJob
{
    public static readonly JobKey Key = new("run-janitor", "maintenance");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Give a submitter time to schedule the run it just wrote.
        var settled = time.GetUtcNow() - TimeSpan.FromSeconds(30);
        var open = await db.Runs.Where(r => (r.Status == RunStatus.Queued || r.Status == RunStatus.Running) && r.CreatedAt < settled)
            .Select(r => new { r.Id, r.Status, r.CancelRequested }).ToListAsync(cancellationToken);
        foreach (var run in open)
        {
            if (await context.Scheduler.Exists(RunScheduling.KeyFor(run.Id), cancellationToken)) continue;
            if (run.CancelRequested)
            {
                await db.Runs.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, RunStatus.Cancelled).SetProperty(r => r.FinishedAt, time.GetUtcNow()), cancellationToken);
                continue;
            }
            logger.LogWarning("Run {RunId} is {Status} but has no job; enqueueing it again", run.Id, run.Status);
            try
            {
                await RunScheduling.EnqueueAsync(context.Scheduler, run.Id, cancellationToken);
            }
            catch (ObjectAlreadyExistsException)
            {
                // Another node or the submitter got there first.
            }
        }
    }
}
