using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// The leaderboard reads per-(run, task) outcome counts that the database stores when a run ends (migration
/// RunTaskCounts). Through a run cancelled mid-way, its retry and a re-scoring of it, the stored counts equal a direct
/// count of the result rows at every step, and so do the leaderboard's n, score and items. The stored leaderboard
/// figures (<c>run_scores</c>, migration RunScores) go with them: dropped when the run's status changes, written by the
/// runner when it succeeds, and equal, text for text, to the figures the leaderboard computes again from the results.
/// </summary>
public sealed class StoredCountsTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private const string Model = "counted-model";

    private sealed record Counts(Guid TaskId, int Correct, int Wrong, int Unparseable, int Refused, int Error);

    [Fact]
    public async Task Stored_counts_equal_a_direct_count_after_cancel_retry_and_rescore_and_the_leaderboard_shows_them()
    {
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            // One second per batch: the cancel lands while most items are still unasked.
            db.Models.Add(new Model { Id = Guid.NewGuid(), Name = Model, Kind = "baseline", Spec = "baseline:random?seed=4&delay_ms=1000", CreatedAt = DateTimeOffset.Parse("2026-01-01T00:00:00Z") });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });

        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = Model, suite = "smoke" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var runId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        await Poll.UntilAsync(async () => (await RunAsync(app, runId)).GetProperty("completed_items").GetInt32() > 0,
            TimeSpan.FromSeconds(60), "the first batch to be stored", () => app.Output);
        Assert.Equal(HttpStatusCode.OK, (await app.AdminClient.PostAsync($"api/runs/{runId}/cancel", null)).StatusCode);
        await WaitForAsync(app, runId, "cancelled");
        var afterCancel = await DirectAsync(runId);
        var total = (await RunAsync(app, runId)).GetProperty("total_items").GetInt32();
        Assert.InRange(afterCancel.Sum(c => c.Correct + c.Wrong + c.Unparseable + c.Refused + c.Error), 1, total - 1);
        Assert.Equal(afterCancel, await StoredAsync(runId));
        Assert.True(await StoredFlagAsync(runId));
        Assert.Empty(await StoredScoresAsync(runId));

        // A retry reopens the run (its counts go until it ends again) and completes it.
        Assert.Equal(HttpStatusCode.Accepted, (await app.AdminClient.PostAsync($"api/runs/{runId}/retry", null)).StatusCode);
        await WaitForAsync(app, runId, "succeeded");
        var afterRetry = await DirectAsync(runId);
        Assert.Equal(total, afterRetry.Sum(c => c.Correct + c.Wrong + c.Unparseable + c.Refused + c.Error));
        Assert.Equal(afterRetry, await StoredAsync(runId));
        var writtenByRunner = await ScoresWrittenAsync(app, runId);
        await AssertLeaderboardAsync(app, runId, afterRetry);
        await AssertRecomputedEqualAsync(app, runId, writtenByRunner);

        // A re-scoring is a new run of the same model: the leaderboard's row moves to it, with its own stored counts.
        var rescore = await app.AdminClient.PostAsync($"api/runs/{runId}/rescore", null);
        Assert.True(rescore.StatusCode == HttpStatusCode.Created, await rescore.Content.ReadAsStringAsync());
        var rescored = (await rescore.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        await WaitForAsync(app, rescored, "succeeded");
        var afterRescore = await DirectAsync(rescored);
        Assert.Equal(afterRescore, await StoredAsync(rescored));
        var rescoredByRunner = await ScoresWrittenAsync(app, rescored);
        await AssertLeaderboardAsync(app, rescored, afterRescore);
        await AssertRecomputedEqualAsync(app, rescored, rescoredByRunner);
        Assert.Equal(afterRetry, await StoredAsync(runId));

        // A run that ends without the trigger's help (written as finished, as imports and seeders do) is counted from its rows.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            await db.Database.ExecuteSqlAsync($"delete from run_task_counts where run_id = {rescored}");
            await db.Database.ExecuteSqlAsync($"update runs set task_counts_stored = false where id = {rescored}");
            await db.Database.ExecuteSqlAsync($"delete from run_scores where run_id = {rescored}");
        }
        await AssertLeaderboardAsync(app, rescored, afterRescore);
        Assert.Equal(new[] { rescoredByRunner }, await StoredScoresAsync(rescored));

        // Reopening a run drops its stored figures with its counts.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            await db.Database.ExecuteSqlAsync($"update runs set status = 'running' where id = {rescored}");
        Assert.Empty(await StoredScoresAsync(rescored));
    }

    /// <summary>The runner stores a run's figures just after it succeeds, before any reader asks.</summary>
    private async Task<string> ScoresWrittenAsync(WebApp app, Guid run)
    {
        List<string> stored = [];
        await Poll.UntilAsync(async () => (stored = await StoredScoresAsync(run)).Count == 1, TimeSpan.FromSeconds(30),
            $"run {run}'s leaderboard figures to be stored", () => app.Output);
        return stored[0];
    }

    /// <summary>Dropping the stored row makes the leaderboard compute it again from the results: the same text comes back.</summary>
    private async Task AssertRecomputedEqualAsync(WebApp app, Guid run, string stored)
    {
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            await db.Database.ExecuteSqlAsync($"delete from run_scores where run_id = {run}");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("api/leaderboard?suite=smoke")).StatusCode);
        Assert.Equal(new[] { stored }, await StoredScoresAsync(run));
    }

    private async Task<List<string>> StoredScoresAsync(Guid run)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.Database.SqlQuery<string>($"select scores::text as \"Value\" from run_scores where run_id = {run}").ToListAsync();
    }

    private static async Task<JsonElement> RunAsync(WebApp app, Guid id) => await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{id}");

    private static async Task WaitForAsync(WebApp app, Guid id, string status)
    {
        string? now = null;
        await Poll.UntilAsync(async () =>
        {
            now = (await RunAsync(app, id)).GetProperty("status").GetString();
            return now is "succeeded" or "failed" or "cancelled";
        }, TimeSpan.FromSeconds(120), $"run {id} to end", () => app.Output);
        Assert.Equal(status, now);
    }

    private async Task<List<Counts>> DirectAsync(Guid run)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var rows = await db.Results.Where(r => r.RunId == run).Select(r => new { r.TaskId, r.Outcome }).ToListAsync();
        return rows.GroupBy(r => r.TaskId).Select(g => new Counts(g.Key, g.Count(r => r.Outcome == "correct"), g.Count(r => r.Outcome == "wrong"),
            g.Count(r => r.Outcome == "unparseable"), g.Count(r => r.Outcome == "refused"), g.Count(r => r.Outcome == "error"))).OrderBy(c => c.TaskId).ToList();
    }

    private async Task<List<Counts>> StoredAsync(Guid run)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return (await db.Database.SqlQuery<Counts>($"""
            select task_id as "TaskId", correct as "Correct", wrong as "Wrong", unparseable as "Unparseable", refused as "Refused", error as "Error"
            from run_task_counts where run_id = {run}
            """).ToListAsync()).OrderBy(c => c.TaskId).ToList();
    }

    private async Task<bool> StoredFlagAsync(Guid run)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.Database.SqlQuery<bool>($"select task_counts_stored as \"Value\" from runs where id = {run}").SingleAsync();
    }

    private async Task AssertLeaderboardAsync(WebApp app, Guid run, List<Counts> direct)
    {
        Dictionary<Guid, string> names;
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            names = await db.Tasks.ToDictionaryAsync(t => t.Id, t => t.Name);
        var board = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=smoke");
        var row = Assert.Single(board.GetProperty("rows").EnumerateArray(), r => r.GetProperty("model").GetString() == Model);
        Assert.Equal(run, row.GetProperty("run_id").GetGuid());
        Assert.Equal(direct.Sum(c => c.Correct + c.Wrong + c.Unparseable + c.Refused + c.Error), row.GetProperty("items").GetInt32());
        Assert.Equal(direct.All(c => c.Error == 0), row.GetProperty("complete").GetBoolean());
        foreach (var c in direct)
        {
            var cell = row.GetProperty("tasks").GetProperty(names[c.TaskId]);
            var n = c.Correct + c.Wrong + c.Unparseable + c.Refused;
            Assert.Equal(n, cell.GetProperty("n").GetInt32());
            // Task scores are given to 4 decimals.
            Assert.Equal(Math.Round(100.0 * c.Correct / n, 4), cell.GetProperty("score").GetDouble());
        }
    }
}
