using Evals.Storage.Entities;
using Evals.Storage.Results;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace Evals.Storage.Tests;

/// <summary>
/// Migration RunTaskCounts: runs that ended before it are counted by it; afterwards the trigger on <c>runs.status</c>
/// counts a run when it ends and drops its counts when it is reopened.
/// </summary>
public sealed class RunTaskCountsTests
{
    private sealed record Counts(int Correct, int Wrong, int Unparseable, int Refused, int Error, double Chance);

    [Fact]
    public async Task The_migration_counts_runs_that_had_ended_and_the_status_trigger_keeps_them()
    {
        var connectionString = await (await PostgresCluster.SharedAsync()).CreateEmptyDatabaseAsync();
        await using (var db = Migrator.CreateContext(connectionString))
            await db.GetService<IMigrator>().MigrateAsync("20261202155014_ArenaLimitCounters");

        var task = new TaskVersion { Id = Guid.NewGuid(), Name = "test/counted", Version = "v1", Kind = "multiple_choice", Manifest = "{}" };
        var suite = new Suite { Id = Guid.NewGuid(), Name = "counted", Version = "v1", Tasks = [new SuiteTask { TaskId = task.Id }] };
        Run Run(RunStatus status) => new() { Id = Guid.NewGuid(), ModelName = "m", ModelSpec = "baseline:first", SuiteId = suite.Id, Config = "{}", TotalItems = 10, Status = status };
        var (ended, open) = (Run(RunStatus.Succeeded), Run(RunStatus.Running));
        await using (var db = Migrator.CreateContext(connectionString))
        {
            db.AddRange(task, suite, ended, open);
            await db.SaveChangesAsync();
        }
        var now = DateTimeOffset.Parse("2026-12-01T00:00:00Z");
        string[] outcomes = ["correct", "correct", "correct", "wrong", "wrong", "unparseable", "refused", "error"];
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            foreach (var run in new[] { ended, open })
                await ResultWriter.WriteAsync(connection, outcomes.Select((o, i) => new ResultRow(run.Id, task.Id, $"item-{i}", null, null, null, null, o,
                    o == "correct" ? 100 : 0, 1, 0, 0, null, now, $"{{\"chance\": {(i < 4 ? 25 : 50)}}}")).ToList());
        }

        await Migrator.MigrateAsync(connectionString);
        // Chance: the mean over the asked items (not the error): (4 × 25 + 3 × 50) / 7.
        var expected = new Counts(3, 2, 1, 1, 1, (4 * 25 + 3 * 50) / 7.0);
        Assert.Equal(expected with { Chance = Math.Round(expected.Chance, 9) }, Round(await StoredAsync(connectionString, ended.Id)));
        Assert.Null(await StoredAsync(connectionString, open.Id));
        Assert.Equal((true, false), (await FlagAsync(connectionString, ended.Id), await FlagAsync(connectionString, open.Id)));

        // The open run ends (as the job writes it: one UPDATE of the status): counted. The ended one is retried: dropped.
        await using (var db = Migrator.CreateContext(connectionString))
        {
            await db.Runs.Where(r => r.Id == open.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Cancelled));
            await db.Runs.Where(r => r.Id == ended.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Queued));
        }
        Assert.Equal(expected with { Chance = Math.Round(expected.Chance, 9) }, Round(await StoredAsync(connectionString, open.Id)));
        Assert.Null(await StoredAsync(connectionString, ended.Id));
        Assert.Equal((false, true), (await FlagAsync(connectionString, ended.Id), await FlagAsync(connectionString, open.Id)));
    }

    private static Counts? Round(Counts? counts) => counts is null ? null : counts with { Chance = Math.Round(counts.Chance, 9) };

    private static async Task<Counts?> StoredAsync(string connectionString, Guid run)
    {
        await using var db = Migrator.CreateContext(connectionString);
        return await db.Database.SqlQuery<Counts>($"""
            select correct as "Correct", wrong as "Wrong", unparseable as "Unparseable", refused as "Refused", error as "Error", chance as "Chance"
            from run_task_counts where run_id = {run}
            """).SingleOrDefaultAsync();
    }

    private static async Task<bool> FlagAsync(string connectionString, Guid run)
    {
        await using var db = Migrator.CreateContext(connectionString);
        return await db.Database.SqlQuery<bool>($"select task_counts_stored as \"Value\" from runs where id = {run}").SingleAsync();
    }
}
