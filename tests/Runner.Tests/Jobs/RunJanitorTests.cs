using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Jobs;

/// <summary>
/// <see cref="Evals.Runner.Jobs.RunJanitorJob"/> in a real worker: runs left without a Quartz job (their submitter died
/// before scheduling them) are enqueued again, one asked to cancel is cancelled instead, and one written too recently
/// for its submitter to have scheduled it is left alone.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class RunJanitorTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Orphaned_runs_are_enqueued_again_and_a_queued_run_asked_to_cancel_is_cancelled()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var orphan = await SubmitAsync(env, "baseline:first");
        var cancelled = await SubmitAsync(env, "baseline:majority");
        var recent = await SubmitAsync(env, "baseline:random?seed=3");
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            // No worker has run yet: drop the three runs' jobs as if the submitter had died before scheduling them.
            Assert.Equal(3, await CountRunJobsAsync(db));
            await db.Database.ExecuteSqlRawAsync("""
                DELETE FROM qrtz_simple_triggers s USING qrtz_triggers t
                 WHERE s.sched_name = t.sched_name AND s.trigger_name = t.trigger_name AND s.trigger_group = t.trigger_group AND t.job_group = 'runs'
                """);
            await db.Database.ExecuteSqlRawAsync("DELETE FROM qrtz_triggers WHERE job_group = 'runs'");
            await db.Database.ExecuteSqlRawAsync("DELETE FROM qrtz_job_details WHERE job_group = 'runs'");
            Assert.Equal(0, await CountRunJobsAsync(db));
            // The janitor waits 30 s after a run is written; two were written a minute ago, one is always too recent.
            await db.Runs.Where(r => r.Id == orphan || r.Id == cancelled).ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, r => r.CreatedAt.AddMinutes(-1)));
            await db.Runs.Where(r => r.Id == recent).ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, r => r.CreatedAt.AddDays(1)));
            await db.Runs.Where(r => r.Id == cancelled).ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true));
        }

        // The janitor fires when the worker starts, then every 15 s.
        using var worker = CliProcess.Start(env, "worker");
        await Poll.UntilAsync(async () =>
            (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, orphan)).Status == RunStatus.Succeeded
            && (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, cancelled)).Status == RunStatus.Cancelled,
            Long, "the orphaned run to finish and the cancelled one to be cancelled", () => worker.Output);

        await using var check = Migrator.CreateContext(database.ConnectionString);
        // baseline:first on smoke: 6 + 7 + 14 of 72 right (datasets/smoke/README.md).
        Assert.Equal(72, await check.Results.CountAsync(r => r.RunId == orphan));
        Assert.Equal(27, await check.Results.CountAsync(r => r.RunId == orphan && r.Outcome == "correct"));
        Assert.Contains($"Run {orphan} is Queued but has no job; enqueueing it again", worker.Output);
        Assert.Equal(0, await check.Results.CountAsync(r => r.RunId == cancelled));
        Assert.NotNull((await RunnerEnvironment.ReadRunAsync(database.ConnectionString, cancelled)).FinishedAt);
        var untouched = await RunnerEnvironment.ReadRunAsync(database.ConnectionString, recent);
        Assert.Equal(RunStatus.Queued, untouched.Status);
        // Quartz deletes a fired job after the job returns, which is after the run's end (and its leaderboard row) is stored.
        await Poll.UntilAsync(async () => await CountRunJobsAsync(check) == 0, TimeSpan.FromSeconds(30), "the finished runs' jobs to be gone", () => worker.Output);
        Assert.DoesNotContain(recent.ToString(), worker.Output);
    }

    private static Task<int> CountRunJobsAsync(EvalsDbContext db) =>
        db.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM qrtz_job_details WHERE job_group = 'runs'").SingleAsync();

    private static async Task<Guid> SubmitAsync(Dictionary<string, string> env, string model)
    {
        var result = await CliProcess.RunAsync(env, Long, "run", "--model", model, "--suite", "smoke");
        Assert.True(result.ExitCode == 0, result.ToString());
        return Guid.Parse(result.StdOut.Trim());
    }
}
