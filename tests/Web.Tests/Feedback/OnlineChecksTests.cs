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
/// The scheduled online-checks job in the real web process (a worker node), with a loopback judge whose verdicts are
/// known: it calls an answer hallucinated exactly when the answer says the capital is 上海.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class OnlineChecksTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    private static string Judge(string prompt) =>
        prompt.Contains("正确答案示例", StringComparison.Ordinal)
            ? prompt[prompt.IndexOf("问答机器人的回答", StringComparison.Ordinal)..].Contains("上海", StringComparison.Ordinal) ? "理由：与正确答案不符。\n结论：有幻觉" : "理由：一致。\n结论：无幻觉"
            : "北京是中国的首都。";

    [Fact]
    public async Task Each_check_is_stored_once_per_event_reruns_add_nothing_and_the_rates_show_on_the_dashboard()
    {
        await using var judge = await FakeChatServer.StartAsync(Judge);
        var keyId = Guid.NewGuid();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Id = keyId, Name = "app", Scope = "feedback", Hash = ApiKey.HashOf(ApiKey.NewKey()), Prefix = "evk-xxxxxx" });
            await db.SaveChangesAsync();
        }
        var now = TimeProvider.System.GetUtcNow();
        FeedbackRow Row(string id, string input, string output, bool positive) =>
            new(id, "t-" + id, "qa-bot", null, null, input, output, FeedbackEvent.Thumbs, positive ? (short)1 : (short)0, positive, [], null, now.AddHours(-1), now, keyId);
        var rows = new List<FeedbackRow>();
        var expected = new Dictionary<string, HashSet<string>> { ["hallucination"] = [], ["refusal"] = [], ["language"] = [], ["length"] = [] };
        for (var i = 0; i < 40; i++)
            rows.Add(Row($"ok-{i}", $"问题{i}：中国的首都是哪里？", "中国的首都是北京。" + string.Concat(Enumerable.Repeat("北京有悠久的历史。", i % 3)), true));
        for (var i = 0; i < 5; i++)
        {
            rows.Add(Row($"refused-{i}", $"问题r{i}：中国的首都是哪里？", "抱歉，我无法回答这个问题。", false));
            expected["refusal"].Add($"refused-{i}");
            rows.Add(Row($"english-{i}", $"问题e{i}：中国的首都是哪里？", "The capital of China is Beijing.", false));
            expected["language"].Add($"english-{i}");
            rows.Add(Row($"wrong-{i}", $"问题w{i}：中国的首都是哪里？", "中国的首都是上海。", false));
            expected["hallucination"].Add($"wrong-{i}");
        }
        rows.Add(Row("long", "问题：介绍一下北京。", string.Concat(Enumerable.Repeat("北京", 3000)), false));
        expected["length"].Add("long");
        await WriteAsync(rows);

        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["OnlineChecks__IntervalSeconds"] = "2",
            ["OnlineChecks__SampleSize"] = "1000",
            ["OnlineChecks__JudgeModel"] = $"openai:{judge.BaseUrl}?model=judge&key_env=EVALS_TEST_JUDGE_KEY&retries=0",
            ["EVALS_TEST_JUDGE_KEY"] = "sk-test",
        });
        await Poll.UntilAsync(async () => await CountChecksAsync() == rows.Count * 4, TimeSpan.FromSeconds(90), "every event to have all four checks", () => app.Output);

        var stored = await ChecksAsync();
        foreach (var (kind, flagged) in expected)
            Assert.Equal(flagged.Order(), stored.Where(c => c.Kind == kind && c.Outcome == "flagged").Select(c => c.EventId).Order());
        Assert.DoesNotContain(stored, c => c.Outcome == "error");
        Assert.Equal(rows.Count * 2, judge.Calls); // a reference answer and a verdict per event

        // More passes run (every 2 s): nothing is added or rewritten for events already checked; new traffic is picked up.
        var firstPass = stored.ToDictionary(c => (c.EventId, c.Kind), c => c.CheckedAt);
        await Poll.UntilAsync(() => Task.FromResult(app.Output.Split("Online checks:").Length > 3), TimeSpan.FromSeconds(60), "two more passes", () => app.Output);
        List<FeedbackRow> later = [.. Enumerable.Range(40, 4).Select(i => Row($"ok-{i}", $"问题{i}：中国的首都是哪里？", "中国的首都是北京。", true))];
        await WriteAsync(later);
        await Poll.UntilAsync(async () => await CountChecksAsync() == (rows.Count + later.Count) * 4, TimeSpan.FromSeconds(60), "the new events to be checked", () => app.Output);
        var final = await ChecksAsync();
        Assert.Equal((rows.Count + later.Count) * 4, final.Count);
        Assert.Equal(final.Count, final.Select(c => (c.EventId, c.Kind)).Distinct().Count());
        Assert.All(firstPass, p => Assert.Equal(p.Value, final.Single(c => (c.EventId, c.Kind) == p.Key).CheckedAt));
        Assert.Equal((rows.Count + later.Count) * 2, judge.Calls);

        // The public dashboard shows the check rates beside the ratings: 5 of 60 flagged for hallucination, refusal and
        // language, 1 of 60 for length; 44 positive ratings of 60.
        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("feedback");
        var row = page.Locator("[data-testid=models] tr[data-model=qa-bot]");
        await Assertions.Expect(row.Locator("td[data-check=hallucination]")).ToContainTextAsync("8.3 [");
        await Assertions.Expect(row.Locator("td[data-check=hallucination]")).ToContainTextAsync("n=60");
        await Assertions.Expect(row.Locator("td[data-check=refusal]")).ToContainTextAsync("8.3 [");
        await Assertions.Expect(row.Locator("td[data-check=language]")).ToContainTextAsync("8.3 [");
        await Assertions.Expect(row.Locator("td[data-check=length]")).ToContainTextAsync("1.7 [");
        await Assertions.Expect(row).ToContainTextAsync("73.3 [");
        await Chromium.ScreenshotAsync(page, "feedback-online-checks");
    }

    private async Task WriteAsync(IReadOnlyList<FeedbackRow> rows)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal(rows.Count, await FeedbackWriter.WriteAsync(connection, rows));
    }

    private async Task<int> CountChecksAsync()
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.FeedbackChecks.CountAsync();
    }

    private sealed record StoredCheck(string EventId, string Kind, string Outcome, DateTimeOffset CheckedAt);

    private async Task<List<StoredCheck>> ChecksAsync()
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.FeedbackChecks.Join(db.Feedback, c => c.FeedbackId, f => f.Id, (c, f) => new StoredCheck(f.EventId, c.Kind, c.Outcome, c.CheckedAt)).ToListAsync();
    }
}
