using Evals.Runner.Jobs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Evals.Runner.Runs;

/// <summary>Cancelling and retrying runs, from the CLI and the web alike.</summary>
public sealed class RunControl(IDbContextFactory<EvalsDbContext> dbFactory, StorageConnection storage, ISchedulerFactory schedulers, TimeProvider time)
{
    /// <summary>A queued run is cancelled at once; a running one stops before its next batch (on whichever worker runs it).</summary>
    public async Task<RunStatus> CancelAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken) ?? throw new BadInputException($"no run with id {runId}");
        if (run.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled) return run.Status;
        run.CancelRequested = true;
        if (run.Status == RunStatus.Queued)
        {
            // Every job of the run goes (its shards', or the one of a run executed whole); a shard already started sees the request.
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            var keys = (await ShardsAsync(runId, cancellationToken)).Select(s => RunShards.KeyFor(runId, s.Number)).Append(RunScheduling.KeyFor(runId)).ToList();
            await scheduler.DeleteJobs(keys, cancellationToken);
            var left = false;
            foreach (var key in keys) left |= await scheduler.Exists(key, cancellationToken);
            if (!left)
            {
                run.Status = RunStatus.Cancelled;
                run.FinishedAt = time.GetUtcNow();
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        return run.Status;
    }

    /// <summary>Puts a failed or cancelled run back in the queue; the job skips the items already stored, and retries errored ones.</summary>
    public async Task RetryAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken) ?? throw new BadInputException($"no run with id {runId}");
        if (run.Status is RunStatus.Queued or RunStatus.Running) throw new BadInputException($"run {runId} is {run.Status.ToString().ToLowerInvariant()}; only a failed, cancelled or succeeded run can be retried");
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Results.Where(r => r.RunId == runId && r.Outcome == "error").ExecuteDeleteAsync(cancellationToken);
        run.Status = RunStatus.Queued;
        run.CancelRequested = false;
        run.FinishedAt = null;
        run.Error = null;
        await db.SaveChangesAsync(cancellationToken);
        run.CompletedItems = await db.Results.CountAsync(r => r.RunId == runId, cancellationToken);
        run.FailedItems = 0;
        await db.SaveChangesAsync(cancellationToken);
        // Errored items may sit in any shard: every shard runs again and skips what is stored.
        await db.Database.ExecuteSqlInterpolatedAsync($"update run_shards set finished_at = null where run_id = {runId}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var shards = await ShardsAsync(runId, cancellationToken);
        if (shards.Count == 0) await RunScheduling.EnqueueAsync(scheduler, runId, cancellationToken);
        else await RunShards.EnqueueAsync(scheduler, runId, shards.Select(s => s.Number), replace: true, cancellationToken);
    }

    private async Task<IReadOnlyList<RunShard>> ShardsAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var connection = new Npgsql.NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return await RunShards.ReadAsync(connection, runId, cancellationToken);
    }
}
