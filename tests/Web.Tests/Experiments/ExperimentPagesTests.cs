using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Experiments;

/// <summary>The A/B result pages in a real browser, over experiments made the documented ways (CLI and API).</summary>
[Collection(BrowserTests.Name)]
public sealed class ExperimentPagesTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Offline_experiment_page_shows_the_same_comparison_as_the_cli()
    {
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__Evals"] = database.ConnectionString,
            ["Runner__CheckinIntervalMs"] = "1000",
            ["Runner__Datasets"] = RepoPaths.Datasets,
        };
        var folder = Directory.CreateTempSubdirectory().FullName;
        var a = Path.Combine(folder, "a.json");
        var b = Path.Combine(folder, "b.json");
        await File.WriteAllTextAsync(a, """{ "idioms": "成语题：{question}\n{choices}\n答案：" }""");
        await File.WriteAllTextAsync(b, """{ "idioms": "请选择正确的成语：{question}\n{choices}\n答案：" }""");
        var json = Path.Combine(folder, "ab.json");
        var ran = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "ab", "run", "--model", "baseline:random?seed=3", "--suite", "smoke",
            "--variant", $"A={a}", "--variant", $"B={b}", "--json", json);
        Assert.True(ran.ExitCode == 0, ran.ToString());
        using var cli = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var experiment = cli.RootElement.GetProperty("experiment").GetGuid();

        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });
        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("experiments");
        await Chromium.FollowLinkAsync(page, $"a[href='experiments/offline/{experiment}']");
        await page.WaitForURLAsync($"**/experiments/offline/{experiment}");
        await Assertions.Expect(page.Locator(".chart[data-chart-ready=true] canvas")).ToHaveCountAsync(1);

        // Every per-task and overall score with its interval, as the CLI computed them.
        var rows = page.Locator("table.scores tbody tr");
        foreach (var score in cli.RootElement.GetProperty("scores").EnumerateArray())
        {
            var task = score.GetProperty("task").GetString()!;
            var cell = $"{F(score, "score", "0.00")} [{F(score, "ci_low", "0.0")}, {F(score, "ci_high", "0.0")}] n={score.GetProperty("n").GetInt32()}";
            await Assertions.Expect(rows.Filter(new() { Has = page.Locator($"td:text-is('{task}')") })).ToContainTextAsync(cell);
        }
        var pair = cli.RootElement.GetProperty("pairs")[0];
        var difference = pair.GetProperty("overall").GetProperty("difference").GetDouble();
        await Assertions.Expect(page.Locator("table.pairs tbody tr").First).ToContainTextAsync(difference.ToString("+0.00;−0.00;0.00", CultureInfo.InvariantCulture));
        var winner = cli.RootElement.GetProperty("winner");
        await Assertions.Expect(page.Locator(".verdict")).ToContainTextAsync(winner.ValueKind == JsonValueKind.Null ? "没有胜出者" : $"胜出：{winner.GetString()}");
        var disagreements = cli.RootElement.GetProperty("disagreements").GetArrayLength();
        await Assertions.Expect(page.Locator("h2", new() { HasText = "Items where the variants disagree" })).ToContainTextAsync($"({disagreements})");
        // The interactive render replaces the prerendered page once the circuit starts; let it settle before the picture:
        // wait for the page's requests to end (Playwright does not count the circuit's WebSocket) rather than a fixed time.
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Assertions.Expect(page.Locator(".chart[data-chart-ready=true] canvas")).ToHaveCountAsync(1);
        await Chromium.ScreenshotAsync(page, "experiment-offline");
    }

    [Fact]
    public async Task Online_experiment_page_states_its_stopping_rule_and_counts_new_ratings_live()
    {
        var key = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "app", Scope = "feedback", Hash = ApiKey.HashOf(key), Prefix = key[..10] });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });
        var created = await app.AdminClient.PostAsJsonAsync("api/ab/experiments", new
        {
            name = "欢迎语",
            variants = new[] { new { name = "A", weight = 50 }, new { name = "B", weight = 50 } },
            stopping_rule = "confidence_sequence",
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());

        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("experiments");
        await Chromium.FollowLinkAsync(page, "a:text-is('欢迎语')");
        await Assertions.Expect(page.Locator(".stopping-rule")).ToContainTextAsync("confidence_sequence");
        await Assertions.Expect(page.Locator("table.rates tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".chart[data-chart-ready=true]")).ToHaveCountAsync(1);
        var rowA = page.Locator("table.rates tbody tr").Nth(0);
        var rowB = page.Locator("table.rates tbody tr").Nth(1);
        await Assertions.Expect(rowA.Locator("td").Nth(1)).ToHaveTextAsync("0");

        // Ratings arrive through the feedback API while the page is open: A gets 30 of 40 up, B 12 of 40.
        var events = new JsonArray();
        for (var i = 0; i < 80; i++)
        {
            var variant = i < 40 ? "A" : "B";
            var up = variant == "A" ? i % 4 != 0 : i % 10 < 3;
            events.Add(new JsonObject
            {
                ["event_id"] = $"ev-{i}", ["trace_id"] = $"t-{i}", ["model"] = "qwen-mini", ["experiment"] = "欢迎语", ["variant"] = variant,
                ["input"] = "你好", ["output"] = "您好！", ["rating"] = up ? "up" : "down",
            });
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/feedback") { Content = new StringContent(events.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        var posted = await app.Client.SendAsync(request);
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());

        await Assertions.Expect(rowA.Locator("td").Nth(1)).ToHaveTextAsync("40", new() { Timeout = 15_000 });
        await Assertions.Expect(rowA.Locator("td").Nth(2)).ToHaveTextAsync("30");
        await Assertions.Expect(rowA.Locator("td").Nth(3)).ToHaveTextAsync("75.0%");
        await Assertions.Expect(rowB.Locator("td").Nth(2)).ToHaveTextAsync("12");
        await Assertions.Expect(rowB.Locator("td").Nth(3)).ToHaveTextAsync("30.0%");
        await Assertions.Expect(page.Locator("table.differences tbody tr").First).ToContainTextAsync("−45.0");
        await Chromium.ScreenshotAsync(page, "experiment-online");
    }

    private static string F(JsonElement e, string name, string format) => e.GetProperty(name).GetDouble().ToString(format, CultureInfo.InvariantCulture);
}
