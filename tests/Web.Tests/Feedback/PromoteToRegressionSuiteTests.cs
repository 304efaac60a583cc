using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Storage.Feedback;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Npgsql;

namespace Evals.Web.Tests.Feedback;

/// <summary>
/// An admin promotes low-rated traces from the browser; the CLI's <c>evals run</c> (its own worker) then scores them as
/// items of the database-backed regression suite, and promoting one more makes a new suite version.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class PromoteToRegressionSuiteTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    // The model under test: right about Beijing, wrong about anything else.
    private static string Model(string prompt) => prompt.Contains("首都", StringComparison.Ordinal) ? "北京" : "不知道";

    [Fact]
    public async Task A_promoted_trace_becomes_an_item_of_the_regression_suite_and_is_scored_in_the_next_run()
    {
        var adminKey = ApiKey.NewKey();
        var keyId = Guid.NewGuid();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "运维 admin", Scope = "admin", Hash = ApiKey.HashOf(adminKey), Prefix = adminKey[..10] });
            db.ApiKeys.Add(new ApiKey { Id = keyId, Name = "app", Scope = "feedback", Hash = ApiKey.HashOf(ApiKey.NewKey()), Prefix = "evk-yyyyyy" });
            await db.SaveChangesAsync();
        }
        var now = TimeProvider.System.GetUtcNow();
        FeedbackRow Row(string id, string input, string output, bool positive, int minutesAgo) =>
            new(id, "t-" + id, "qa-bot", null, null, input, output, FeedbackEvent.Thumbs, positive ? (short)1 : (short)0, positive, [], null, now.AddMinutes(-minutesAgo), now, keyId);
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await FeedbackWriter.WriteAsync(connection, [
                Row("capital", "中国的首都是哪里？", "上海", false, 3),
                Row("river", "中国最长的河流是什么？", "黄河", false, 2),
                Row("mountain", "世界最高的山峰是哪座？", "泰山", false, 1),
                Row("liked", "你好", "你好！有什么可以帮你？", true, 4),
            ]);
        }
        await using var model = await FakeChatServer.StartAsync(Model);
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false" });

        // The traces page is admin-only; a form post without a session (and token) stores nothing.
        var anonymous = await app.Client.GetAsync("feedback/traces");
        Assert.Contains("/admin/signin", anonymous.RequestMessage!.RequestUri!.ToString());
        var forged = await app.Client.PostAsync("admin/feedback/promote", new FormUrlEncodedContent(new Dictionary<string, string> { ["suite"] = "x", ["selected"] = "1" }));
        Assert.Contains("/admin/signin", forged.RequestMessage!.RequestUri!.ToString());
        Assert.Equal(0, await RegressionItemCountAsync());

        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("feedback/traces");
        await page.FillAsync("input[name=key]", adminKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/feedback/traces");
        var rows = page.Locator("[data-testid=traces] tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3); // the liked one is not listed
        await Assertions.Expect(page.Locator("[data-testid=traces]")).Not.ToContainTextAsync("有什么可以帮你");

        // An empty reference is refused, naming the trace; nothing is stored.
        await page.CheckAsync("tr[data-event-id=capital] input[type=checkbox]");
        await page.FillAsync("tr[data-event-id=capital] textarea", "");
        await page.ClickAsync("form.promote button[type=submit]");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("reference answer is empty");
        Assert.Equal(0, await RegressionItemCountAsync());

        await page.CheckAsync("tr[data-event-id=capital] input[type=checkbox]");
        await page.FillAsync("tr[data-event-id=capital] textarea", "北京");
        await page.CheckAsync("tr[data-event-id=river] input[type=checkbox]");
        await page.FillAsync("tr[data-event-id=river] textarea", "长江");
        await page.ClickAsync("form.promote button[type=submit]");
        await Assertions.Expect(page.Locator("[data-testid=promoted]")).ToContainTextAsync("2 promoted to feedback-regressions");
        await Chromium.ScreenshotAsync(page, "feedback-traces-promoted");

        var environment = new Dictionary<string, string> { ["ConnectionStrings__Evals"] = database.ConnectionString, ["Runner__CheckinIntervalMs"] = "1000", ["EVALS_TEST_MODEL_KEY"] = "sk-test" };
        var spec = $"openai:{model.BaseUrl}?model=bot&key_env=EVALS_TEST_MODEL_KEY&retries=0";
        var first = await RunAsync(environment, spec, "first.json");
        var task = first.GetProperty("tasks").GetProperty("feedback-regressions/answers");
        Assert.Equal(2, task.GetProperty("n").GetInt32());
        Assert.Equal("f1", task.GetProperty("metric").GetString());
        Assert.Equal(50, task.GetProperty("score").GetDouble(), 6); // 北京 = 北京 (F1 100), 不知道 vs 长江 (F1 0)
        var stored = await ResultsAsync(first.GetProperty("run_id").GetGuid());
        Assert.Equal(["capital", "river"], stored.Keys.Order());
        Assert.Equal("correct", stored["capital"]);

        // One more trace: a new suite version; the first run still names the old one.
        await page.CheckAsync("tr[data-event-id=mountain] input[type=checkbox]");
        await page.FillAsync("tr[data-event-id=mountain] textarea", "珠穆朗玛峰");
        await page.ClickAsync("form.promote button[type=submit]");
        await Assertions.Expect(page.Locator("[data-testid=promoted]")).ToContainTextAsync("now 3 items");
        var second = await RunAsync(environment, spec, "second.json");
        Assert.Equal(3, second.GetProperty("tasks").GetProperty("feedback-regressions/answers").GetProperty("n").GetInt32());
        Assert.NotEqual(first.GetProperty("suite_version").GetString(), second.GetProperty("suite_version").GetString());
        var firstAgain = JsonDocument.Parse(await app.AdminClient.GetStringAsync($"api/runs/{first.GetProperty("run_id").GetGuid()}")).RootElement;
        Assert.Equal(first.GetProperty("suite_version").GetString(), firstAgain.GetProperty("suite_version").GetString());

        // A suite name taken by the datasets folder is refused.
        await page.CheckAsync("tr[data-event-id=mountain] input[type=checkbox]");
        await page.FillAsync("input[name=suite]", "smoke");
        await page.ClickAsync("form.promote button[type=submit]");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("'smoke' is a datasets suite");
    }

    private async Task<JsonElement> RunAsync(Dictionary<string, string> environment, string spec, string name)
    {
        var json = Path.Combine(Path.GetTempPath(), $"evals-regression-{Guid.NewGuid():N}-{name}");
        var result = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(3), "run", "--model", spec, "--suite", "feedback-regressions", "--wait", "--json", json);
        Assert.True(result.ExitCode == 0, result.ToString());
        try
        {
            return JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.Clone();
        }
        finally
        {
            File.Delete(json);
        }
    }

    private async Task<int> RegressionItemCountAsync()
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.RegressionItems.CountAsync();
    }

    private async Task<Dictionary<string, string>> ResultsAsync(Guid runId)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.Results.Where(r => r.RunId == runId).ToDictionaryAsync(r => r.ItemKey, r => r.Outcome);
    }
}
