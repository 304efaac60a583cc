using Evals.Runner.Tests;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Jobs;

/// <summary>Crash, clustering and restart drills with real worker processes on one Quartz cluster.</summary>
[Collection(ProcessTests.Name)]
public sealed class WorkerDrillTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_worker_killed_mid_run_is_recovered_by_another_with_every_result_exactly_once()
    {
        var datasets = RunnerEnvironment.WriteGeneratedSuite("drill", 200);
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        using var first = CliProcess.Start(env, "worker");
        await first.WaitForOutputAsync("worker started", Long);

        var runId = await SubmitAsync(env, "baseline:random?seed=7&delay_ms=150", "drill");
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId)).CompletedItems >= 48,
            Long, "the first worker to commit a few batches", () => first.Output);
        first.Kill();
        var atKill = await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId);
        Assert.Equal(RunStatus.Running, atKill.Status);
        Assert.True(atKill.CompletedItems < 200, "the run finished before the kill; the drill proves nothing");

        using var second = CliProcess.Start(env, "worker");
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId)).Status == RunStatus.Succeeded,
            Long, "the second worker to finish the run", () => second.Output);

        await AssertExactlyOnceAsync(runId, 200);
        var run = await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId);
        Assert.Equal(200, run.CompletedItems);
        Assert.True(run.Attempts >= 2, $"the run was executed {run.Attempts} time(s); recovery should have executed it again");
    }

    [Fact]
    public async Task Two_workers_on_one_queue_both_execute_runs()
    {
        var datasets = RunnerEnvironment.WriteGeneratedSuite("pair", 24);
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        env["Runner__Concurrency"] = "1";
        // Both nodes up before anything is queued, each taking one run at a time (Concurrency 1). The six runs are
        // submitted at once and each lasts about 3 s (24 items, 8 at a time, 1 s each), three idle polls of a node
        // (1 s): while one node is busy the queued runs can only go to the other. Submitted one after another, a
        // run could end before the next CLI process had queued it, and then one node could take them all (seen in CI).
        using var a = CliProcess.Start(env, "worker");
        using var b = CliProcess.Start(env, "worker");
        await a.WaitForOutputAsync("worker started", Long);
        await b.WaitForOutputAsync("worker started", Long);
        var runs = (await Task.WhenAll(Enumerable.Range(0, 6)
            .Select(i => SubmitAsync(env, $"baseline:random?seed={i}&delay_ms=1000", "pair")))).ToList();
        await Poll.UntilAsync(async () =>
        {
            await using var db = Migrator.CreateContext(database.ConnectionString);
            return await db.Runs.CountAsync(r => runs.Contains(r.Id) && r.Status == RunStatus.Succeeded) == runs.Count;
        }, Long, "all six runs to succeed", () => a.Output + b.Output);

        await using var check = Migrator.CreateContext(database.ConnectionString);
        var workers = await check.Runs.Where(r => runs.Contains(r.Id)).Select(r => r.WorkerId).Distinct().ToListAsync();
        Assert.True(workers.Count >= 2, $"all runs went to {string.Join(", ", workers)}");
        foreach (var run in runs) await AssertExactlyOnceAsync(run, 24);
    }

    [Fact]
    public async Task A_database_restart_during_a_run_is_survived_with_every_result_exactly_once()
    {
        // Its own cluster: stopping the shared one would break every other test.
        await using var cluster = await PostgresCluster.StartPrivateAsync();
        var connectionString = await cluster.CreateDatabaseAsync();
        var datasets = RunnerEnvironment.WriteGeneratedSuite("outage", 200);
        var env = RunnerEnvironment.For(connectionString, datasets);
        using var worker = CliProcess.Start(env, "worker");
        await worker.WaitForOutputAsync("worker started", Long);

        var runId = await SubmitAsync(env, "baseline:first?delay_ms=150", "outage");
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(connectionString, runId)).CompletedItems >= 32,
            Long, "a few committed batches", () => worker.Output);
        Npgsql.NpgsqlConnection.ClearAllPools();
        await cluster.Server!.StopAsync(immediate: false);
        // The outage lasts until the worker has noticed it, however long that takes on a busy machine, not a fixed time.
        await worker.WaitForOutputAsync("Database unavailable", Long);
        await cluster.Server.RestartStoppedAsync();

        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(connectionString, runId)).Status is RunStatus.Succeeded or RunStatus.Failed,
            Long, "the run to end after the restart", () => worker.Output);
        var run = await RunnerEnvironment.ReadRunAsync(connectionString, runId);
        Assert.True(run.Status == RunStatus.Succeeded, $"run ended {run.Status}: {run.Error}\n{worker.Output}");
        await AssertExactlyOnceAsync(runId, 200, connectionString);
        Assert.Contains("Database unavailable", worker.Output);
    }

    [Fact]
    public async Task Two_nodes_starting_at_once_on_an_empty_database_both_come_up_and_create_the_schema_once()
    {
        var connectionString = await database.Cluster.CreateEmptyDatabaseAsync();
        var env = RunnerEnvironment.For(connectionString);
        using var a = CliProcess.Start(env, "worker");
        using var b = CliProcess.Start(env, "worker");
        await a.WaitForOutputAsync("worker started", Long);
        await b.WaitForOutputAsync("worker started", Long);

        await using var db = Migrator.CreateContext(connectionString);
        var applied = (await db.Database.GetAppliedMigrationsAsync()).ToList();
        Assert.Equal(db.Database.GetMigrations().ToList(), applied);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        // A node's row appears at its first cluster check-in, which can come a moment after "worker started".
        await Poll.UntilAsync(async () =>
            (await db.Database.SqlQueryRaw<string>("SELECT instance_name AS \"Value\" FROM qrtz_scheduler_state").ToListAsync()).Distinct().Count() == 2,
            TimeSpan.FromSeconds(30), "both nodes to check in to the cluster", () => a.Output + b.Output);
    }

    [Fact]
    public async Task A_cancelled_run_stops_on_its_worker_and_a_retry_finishes_it_without_duplicates()
    {
        var datasets = RunnerEnvironment.WriteGeneratedSuite("cancel", 200);
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        using var worker = CliProcess.Start(env, "worker");
        await worker.WaitForOutputAsync("worker started", Long);

        var runId = await SubmitAsync(env, "baseline:first?delay_ms=1000", "cancel");
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId)).CompletedItems >= 32,
            Long, "a few committed batches", () => worker.Output);
        var cancel = await CliProcess.RunAsync(env, Long, "runs", "cancel", runId.ToString());
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId)).Status == RunStatus.Cancelled,
            Long, "the worker to stop the run", () => worker.Output);
        var cancelled = await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId);
        Assert.InRange(cancelled.CompletedItems, 32, 199);

        var retry = await CliProcess.RunAsync(env, Long, "runs", "retry", runId.ToString());
        Assert.True(retry.ExitCode == 0, retry.ToString());
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId)).Status == RunStatus.Succeeded,
            Long, "the retried run to finish", () => worker.Output);
        await AssertExactlyOnceAsync(runId, 200);

        var show = await CliProcess.RunAsync(env, Long, "runs", "show", runId.ToString(), "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("\"status\": \"succeeded\"", show.StdOut);
    }

    private static async Task<Guid> SubmitAsync(Dictionary<string, string> env, string model, string suite)
    {
        var result = await CliProcess.RunAsync(env, Long, "run", "--model", model, "--suite", suite);
        Assert.True(result.ExitCode == 0, result.ToString());
        return Guid.Parse(result.StdOut.Trim());
    }

    private async Task AssertExactlyOnceAsync(Guid runId, int expected, string? connectionString = null)
    {
        await using var db = Migrator.CreateContext(connectionString ?? database.ConnectionString);
        var keys = await db.Results.Where(r => r.RunId == runId).Select(r => r.ItemKey).ToListAsync();
        Assert.Equal(expected, keys.Count);
        Assert.Equal(expected, keys.Distinct().Count());
    }
}
