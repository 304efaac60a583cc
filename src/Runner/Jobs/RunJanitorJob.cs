using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Evals.Runner.Jobs;

/// <summary>
/// Re-enqueues runs that are queued or running but have no Quartz job (the submitting process died between writing the
/// run and scheduling it, or a job failed while the database was down), and finishes queued runs whose cancellation
/// was asked. A sharded run gets back the jobs of its unfinished shards that have none, and one whose shards are all
/// finished but that is still open (its last shard failed to end it) is ended here. Fires every few seconds on one node
/// of the cluster at a time.
/// </summary>
[DisallowConcurrentExecution]
public sealed class RunJanitorJob(IDbContextFactory<EvalsDbContext> dbFactory, StorageConnection storage, TimeProvider time, ILogger<RunJanitorJob> logger) : IJob
{
    public static readonly JobKey Key = new("run-janitor", "maintenance");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Give a submitter time to schedule the run it just wrote.
        var settled = time.GetUtcNow() - TimeSpan.FromSeconds(30);
        var open = await db.Runs.Where(r => (r.Status == RunStatus.Queued || r.Status == RunStatus.Running) && r.CreatedAt < settled)
            .Select(r => new { r.Id, r.Status, r.CancelRequested }).ToListAsync(cancellationToken);
        if (open.Count == 0) return;
        await using var connection = new Npgsql.NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        foreach (var run in open)
        {
            var shards = await RunShards.ReadAsync(connection, run.Id, cancellationToken);
            if (shards.Count > 0)
            {
                await MendShardsAsync(context.Scheduler, connection, run.Id, run.Status, run.CancelRequested, shards, cancellationToken);
                continue;
            }
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

    private async Task MendShardsAsync(IScheduler scheduler, Npgsql.NpgsqlConnection connection, Guid runId, RunStatus status, bool cancelRequested,
        IReadOnlyList<RunShard> shards, CancellationToken cancellationToken)
    {
        var unfinished = shards.Where(s => !s.Finished).Select(s => s.Number).ToList();
        // A run whose shards are all finished is ended (again: under the run's row lock, a run already ended stays as it is).
        if (unfinished.Count == 0 && !cancelRequested)
        {
            var (outcome, _, _) = await RunEnd.MarkDoneAndTryFinishAsync(connection, runId, null, time.GetUtcNow(), cancellationToken);
            if (outcome != RunEndOutcome.NotRunning) logger.LogWarning("Run {RunId} had every shard finished but was still open; ended it: {Outcome}", runId, outcome);
            return;
        }
        foreach (var shard in unfinished)
            if (await scheduler.Exists(RunShards.KeyFor(runId, shard), cancellationToken)) return;
        if (cancelRequested)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.Runs.Where(r => r.Id == runId && (r.Status == RunStatus.Queued || r.Status == RunStatus.Running)).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Cancelled).SetProperty(r => r.FinishedAt, time.GetUtcNow()), cancellationToken);
            return;
        }
        logger.LogWarning("Run {RunId} is {Status} but has no job; enqueueing it again ({Count} unfinished shard(s))", runId, status, unfinished.Count);
        try
        {
            await RunShards.EnqueueAsync(scheduler, runId, unfinished, replace: false, cancellationToken);
        }
        catch (ObjectAlreadyExistsException)
        {
            // The submitter or a retry got there first.
        }
    }
}
