using System.Net.Http.Json;
using System.Text.Json;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.Playwright;
using Npgsql;

namespace Evals.Web.Tests.Runs;

/// <summary>
/// Issue 17: a sharded run's page lists its shards (range, state, worker, attempts, items done) and follows them live:
/// opened while the run is under way, it shows unfinished shards, then, without a reload, every shard finished with all
/// its items, on the worker and in the attempts that run_shards records.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class ShardedRunPageTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_run_page_shows_each_shard_and_its_progress_live()
    {
        // 72 smoke items, 12 a shard: 6 shards. At 2 s an answer and 8 at a time the run takes about 18 s.
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__ShardItems"] = "12",
        });
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = "baseline:random?seed=5&delay_ms=2000", suite = "smoke" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var runId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();

        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync($"runs/{runId}");
        await Assertions.Expect(page.Locator("h1[data-interactive=true]")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var rows = page.Locator("table.shards tbody tr.shard");
        await Assertions.Expect(rows).ToHaveCountAsync(6);
        var unfinishedAtFirst = await page.Locator("table.shards tr.shard:not(.finished)").CountAsync();
        Assert.True(unfinishedAtFirst > 0, "the page was opened after the run had ended: nothing live was seen");
        await Assertions.Expect(page.Locator("details.shards summary")).ToContainTextAsync("of 6 finished");

        await Assertions.Expect(page.Locator("table.shards tr.shard.finished")).ToHaveCountAsync(6, new() { Timeout = 90_000 });
        await Assertions.Expect(page.Locator("details.shards summary")).ToContainTextAsync("6 of 6 finished");
        var stored = await StoredShardsAsync(runId);
        Assert.Equal(6, stored.Count);
        for (var i = 0; i < stored.Count; i++)
        {
            var row = page.Locator($"table.shards tr.shard[data-shard='{i}']");
            await Assertions.Expect(row.Locator("td").Nth(1)).ToHaveTextAsync($"{12 * i}–{12 * i + 11}");
            await Assertions.Expect(row.Locator("td.worker")).ToHaveTextAsync(stored[i].Worker);
            await Assertions.Expect(row.Locator("td.attempts")).ToHaveTextAsync(stored[i].Attempts.ToString());
            await Assertions.Expect(row.Locator("td.done")).ToContainTextAsync("12 / 12");
        }
        await Chromium.ScreenshotAsync(page, "sharded-run-page");
    }

    private async Task<List<(string Worker, int Attempts)>> StoredShardsAsync(Guid runId)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select worker_id, attempts from run_shards where run_id = @run order by shard", connection);
        command.Parameters.AddWithValue("run", runId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, int)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt32(1)));
        return rows;
    }
}
