using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Npgsql;
using Quartz;

namespace Evals.Runner.Jobs;

/// <summary>One shard of a run: items <c>[First, First + Count)</c> of the run's ordered (task, item) list.</summary>
public sealed record RunShard(int Number, int First, int Count, bool Finished);

/// <summary>
/// A run is cut into shards, contiguous ranges of its items in suite order (task by task, items by ordinal; a shard
/// may span a task boundary, so many small tasks make few shards). Each shard is its own durable, recoverable Quartz job
/// (<see cref="EvaluateRunJob"/>), so every worker of the cluster can take one. Shards are at least
/// <see cref="RunnerOptions.ShardItems"/> items (a run no larger is one shard, as cheap as before) and at most
/// <see cref="MaxShards"/> per run: enough for a 11,000-item suite to spread over dozens of workers, few enough that
/// the per-shard start (reading the run and its suite, creating the backend) stays small beside the shard's minutes.
/// </summary>
public static class RunShards
{
    /// <summary>The runs' group, shared with whole-run jobs: a shard job's name is <c>RUN-ID/SHARD</c>.</summary>
    public const string Group = RunScheduling.Group;
    public const string ShardKey = "shard";
    public const int MaxShards = 256;

    public static JobKey KeyFor(Guid runId, int shard) => new($"{runId}/{shard}", Group);

    /// <summary>The shards of a run of <paramref name="totalItems"/> items: none for an empty run.</summary>
    public static IReadOnlyList<RunShard> Layout(int totalItems, int shardItems)
    {
        if (totalItems <= 0) return [];
        var size = Math.Max(Math.Max(1, shardItems), (totalItems + MaxShards - 1) / MaxShards);
        var shards = new List<RunShard>();
        for (var first = 0; first < totalItems; first += size)
            shards.Add(new RunShard(shards.Count, first, Math.Min(size, totalItems - first), false));
        return shards;
    }

    /// <summary>Writes the run's shards (again, after a retry: then only the missing ones are added).</summary>
    public static async Task CreateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid runId, IReadOnlyList<RunShard> shards,
        CancellationToken cancellationToken)
    {
        if (shards.Count == 0) return;
        await using var command = new NpgsqlCommand("""
            insert into run_shards (run_id, shard, first_item, item_count)
            select @run, s, f, c from unnest(@shards, @firsts, @counts) as t(s, f, c)
            on conflict do nothing
            """, connection, transaction);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("shards", shards.Select(s => s.Number).ToArray());
        command.Parameters.AddWithValue("firsts", shards.Select(s => s.First).ToArray());
        command.Parameters.AddWithValue("counts", shards.Select(s => s.Count).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds a committed batch's inserted rows to the shard's count of stored items (the run page's per-shard progress).</summary>
    public static async Task AddCompletedAsync(NpgsqlConnection connection, Guid runId, int shard, int inserted, CancellationToken cancellationToken)
    {
        if (inserted == 0) return;
        await using var command = new NpgsqlCommand(
            "update run_shards set completed_items = least(item_count, completed_items + @inserted) where run_id = @run and shard = @shard", connection);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("shard", shard);
        command.Parameters.AddWithValue("inserted", inserted);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<IReadOnlyList<RunShard>> ReadAsync(NpgsqlConnection connection, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select shard, first_item, item_count, finished_at is not null from run_shards where run_id = @run order by shard", connection);
        command.Parameters.AddWithValue("run", runId);
        var shards = new List<RunShard>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            shards.Add(new RunShard(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetBoolean(3)));
        return shards;
    }

    /// <summary>
    /// Schedules one job per given shard, all in one scheduler call. <paramref name="replace"/>: a job left from an
    /// earlier attempt (a retry while a stopped run's shard job had not yet fired) is replaced, not an error.
    /// </summary>
    public static async Task EnqueueAsync(IScheduler scheduler, Guid runId, IEnumerable<int> shards, bool replace, CancellationToken cancellationToken = default)
    {
        var jobs = new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>>();
        foreach (var shard in shards)
        {
            var key = KeyFor(runId, shard);
            var job = JobBuilder.Create<EvaluateRunJob>()
                .WithIdentity(key)
                .UsingJobData(RunScheduling.RunIdKey, runId.ToString())
                .UsingJobData(ShardKey, shard)
                .RequestRecovery()
                .Build()
                .WithSubmittingTrace();
            var trigger = TriggerBuilder.Create().WithIdentity(key.Name, Group).ForJob(job).StartNow().Build();
            jobs[job] = [trigger];
        }
        if (jobs.Count > 0) await scheduler.ScheduleJobs(jobs, new ScheduleJobOptions { Replace = replace }, cancellationToken);
    }

    /// <summary>
    /// What a worker needs to serve these models: <c>cuda</c> for an in-process model on <c>device=cuda</c>
    /// (<c>device=auto</c> falls back to the CPU, so any worker serves it).
    /// </summary>
    public static IReadOnlySet<string> Needs(IEnumerable<string?> specs)
    {
        var needs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var text in specs)
        {
            if (text is null) continue;
            var spec = ModelSpec.Parse(text);
            if (spec.Scheme == OnnxBackend.Scheme && spec.Options.GetValueOrDefault("device") == "cuda") needs.Add("cuda");
        }
        return needs;
    }
}

/// <summary>What <see cref="RunEnd.MarkDoneAndTryFinishAsync"/> found.</summary>
public enum RunEndOutcome
{
    /// <summary>Other shards are still to finish.</summary>
    ShardsLeft,
    Succeeded,
    /// <summary>Every item failed: the run is marked failed.</summary>
    Failed,
    /// <summary>The run was no longer running (cancelled, failed, already finished by another shard, or gone).</summary>
    NotRunning,
}

/// <summary>The end of a run, done once whichever worker finishes its last shard.</summary>
public static class RunEnd
{
    /// <summary>
    /// Marks the shard finished (<paramref name="shard"/> null: a run executed as one job) and, if it was the last one,
    /// ends the run: recounts its results and sets it succeeded (failed if every item failed). The run's row is locked
    /// first, so shards ending at once are serialised and exactly one of them sees no shard left; a worker dying in the
    /// middle rolls the whole transaction back, and the recovered shard does it again.
    /// </summary>
    public static async Task<(RunEndOutcome Outcome, int Completed, int Failed)> MarkDoneAndTryFinishAsync(NpgsqlConnection connection, Guid runId, int? shard,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string? status;
        await using (var command = new NpgsqlCommand("select status from runs where id = @run for update", connection, transaction))
        {
            command.Parameters.AddWithValue("run", runId);
            status = (string?)await command.ExecuteScalarAsync(cancellationToken);
        }
        if (shard is { } number)
        {
            await using var command = new NpgsqlCommand(
                "update run_shards set finished_at = @now, completed_items = item_count where run_id = @run and shard = @shard and finished_at is null", connection, transaction);
            command.Parameters.AddWithValue("run", runId);
            command.Parameters.AddWithValue("shard", number);
            command.Parameters.AddWithValue("now", now);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        if (status != "running")
        {
            await transaction.CommitAsync(cancellationToken);
            return (RunEndOutcome.NotRunning, 0, 0);
        }
        long left;
        await using (var command = new NpgsqlCommand("select count(*) from run_shards where run_id = @run and finished_at is null", connection, transaction))
        {
            command.Parameters.AddWithValue("run", runId);
            left = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        if (left > 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return (RunEndOutcome.ShardsLeft, 0, 0);
        }
        int completed, failed;
        await using (var command = new NpgsqlCommand(
            "select count(*)::int, (count(*) filter (where outcome = 'error'))::int from results where run_id = @run", connection, transaction))
        {
            command.Parameters.AddWithValue("run", runId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (completed, failed) = (reader.GetInt32(0), reader.GetInt32(1));
        }
        var allFailed = completed > 0 && failed == completed;
        await using (var command = new NpgsqlCommand("""
            update runs set completed_items = @completed, failed_items = @failed, status = @status, finished_at = @now, error = @error
            where id = @run
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("run", runId);
            command.Parameters.AddWithValue("completed", completed);
            command.Parameters.AddWithValue("failed", failed);
            command.Parameters.AddWithValue("status", allFailed ? "failed" : "succeeded");
            command.Parameters.AddWithValue("now", now);
            command.Parameters.AddWithValue("error", allFailed ? $"all {completed} items failed; see the items' errors (`evals runs show {runId}`)" : DBNull.Value);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return (allFailed ? RunEndOutcome.Failed : RunEndOutcome.Succeeded, completed, failed);
    }
}
