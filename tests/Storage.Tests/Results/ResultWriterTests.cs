using Evals.Storage.Entities;
using Evals.Storage.Results;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Storage.Tests.Results;

public sealed class ResultWriterTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Rows_round_trip_and_a_batch_overlapping_stored_rows_keeps_exactly_one_of_each()
    {
        var (runId, taskId) = await SeedRunAsync();
        var now = TimeProvider.System.GetUtcNow();
        ResultRow Row(int i) => new(runId, taskId, $"item-{i:D3}", $"问题 {i}", "A", "A", i % 2 == 0 ? "A" : "B", i % 2 == 0 ? "correct" : "wrong",
            i % 2 == 0 ? 100 : 0, 12.5, 30, 1, null, now);

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal(10, await ResultWriter.WriteAsync(connection, Enumerable.Range(0, 10).Select(Row).ToList()));
        // A recovered worker re-submits 5 stored items together with 5 new ones: COPY fails on the key, the fallback keeps 5.
        Assert.Equal(5, await ResultWriter.WriteAsync(connection, Enumerable.Range(5, 10).Select(Row).ToList()));

        await using var db = Migrator.CreateContext(database.ConnectionString);
        var stored = await db.Results.Where(r => r.RunId == runId).OrderBy(r => r.ItemKey).ToListAsync();
        Assert.Equal(15, stored.Count);
        Assert.Equal(15, stored.Select(r => r.ItemKey).Distinct().Count());
        var first = stored[0];
        Assert.Equal("问题 0", first.Prompt);
        Assert.Equal("correct", first.Outcome);
        Assert.Equal(100, first.Score);
        Assert.Equal(12.5, first.LatencyMs);
        Assert.Equal((30, 1), (first.TokensIn, first.TokensOut));
        Assert.Null(first.Error);
    }

    [Fact]
    public async Task An_invalid_outcome_is_rejected_and_nothing_of_its_batch_is_stored()
    {
        var (runId, taskId) = await SeedRunAsync();
        var now = TimeProvider.System.GetUtcNow();
        var rows = new List<ResultRow>
        {
            new(runId, taskId, "ok", null, null, null, null, "correct", 100, 1, 0, 0, null, now),
            new(runId, taskId, "bad", null, null, null, null, "maybe", 0, 1, 0, 0, null, now),
        };
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => ResultWriter.WriteAsync(connection, rows));
        Assert.Equal("ck_results_outcome", error.ConstraintName);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.Equal(0, await db.Results.CountAsync(r => r.RunId == runId));
    }

    private async Task<(Guid RunId, Guid TaskId)> SeedRunAsync()
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var task = new TaskVersion { Id = Guid.NewGuid(), Name = $"test/{Guid.NewGuid():N}", Version = "v1", Kind = "multiple_choice", Manifest = "{}" };
        var suite = new Suite { Id = Guid.NewGuid(), Name = $"s-{Guid.NewGuid():N}", Version = "v1", Tasks = [new SuiteTask { TaskId = task.Id }] };
        var run = new Run { Id = Guid.NewGuid(), ModelName = "baseline:first", ModelSpec = "baseline:first", SuiteId = suite.Id, Config = "{}", TotalItems = 20 };
        db.AddRange(task, suite, run);
        await db.SaveChangesAsync();
        return (run.Id, task.Id);
    }
}
