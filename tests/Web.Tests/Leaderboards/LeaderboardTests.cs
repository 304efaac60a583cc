using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.Storage;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// The leaderboard and run comparison over real runs (see <see cref="SeededLeaderboard"/>): its scores are the run
/// summaries', rows on the older suite version are marked, sorting and filters work, bad parameters are 400s naming the
/// field; in Chromium the charts draw, a wrong item can be drilled into, and two runs compare item by item.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class LeaderboardTests(SeededLeaderboard seeded, Chromium chromium) : IClassFixture<SeededLeaderboard>
{
    private HttpClient Client => seeded.App.Client;

    private async Task<JsonElement> BoardAsync(string query = "suite=smoke") => await Client.GetFromJsonAsync<JsonElement>($"api/leaderboard?{query}");

    private static Dictionary<string, JsonElement> RowsByModel(JsonElement board) =>
        board.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("model").GetString()!);

    [Fact]
    public async Task A_model_page_shows_its_runs_its_familys_checkpoints_its_arena_rating_and_compares_with_another_model()
    {
        // An arena snapshot in which checkpoint 2 beat checkpoint 1 on 7 of 10 votes.
        var battles = Enumerable.Range(0, 10).Select(i => new Evals.Benchmarks.Ratings.Battle("qwen-ckpt1", "qwen-ckpt2",
            i < 7 ? Evals.Benchmarks.Ratings.BattleWinner.ModelB : Evals.Benchmarks.Ratings.BattleWinner.ModelA)).ToList();
        var ratings = Evals.Runner.Arena.ArenaRatingsCalculator.Compute(battles, 20, 0);
        await using (var db = Migrator.CreateContext(seeded.ConnectionString))
        {
            db.ArenaRatingSnapshots.Add(new Evals.Storage.Entities.ArenaRatingSnapshot
            {
                ComputedAt = DateTimeOffset.Parse("2026-06-01T00:00:00Z"), Battles = 10, Payload = JsonSerializer.Serialize(ratings, Evals.Runner.Arena.ArenaRatingsCalculator.Json),
            });
            await db.SaveChangesAsync();
        }
        var rows = RowsByModel(await BoardAsync());
        var page = await chromium.NewPageAsync(Client.BaseAddress!);
        await page.GotoAsync("leaderboard?suite=smoke");
        await Chromium.FollowLinkAsync(page, "tr[data-model='qwen-ckpt2'] td.model a[href^='models/']");
        await page.WaitForURLAsync("**/models/qwen-ckpt2");

        await Assertions.Expect(page.Locator("h1.model-name")).ToContainTextAsync("accepted");
        await Assertions.Expect(page.Locator("code.spec")).ToHaveTextAsync("baseline:first");
        var rating = ratings.Rows.Single(r => r.Model == "qwen-ckpt2");
        Assert.True(rating.Rating > ratings.Rows.Single(r => r.Model == "qwen-ckpt1").Rating);
        await Assertions.Expect(page.Locator("dd.arena-rating")).ToContainTextAsync($"{rating.Rating:0} [{rating.CiLow:0}, {rating.CiHigh:0}]");
        await Assertions.Expect(page.Locator("dd.arena-rating")).ToContainTextAsync("10 votes");

        // Its runs on the suite: the one on the current version (the older version was never run by this checkpoint).
        var section = page.Locator("section.model-suite[data-suite='smoke']");
        await Assertions.Expect(section.Locator("table.runs tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(section.Locator($"tr[data-run='{seeded.CurrentRuns["qwen-ckpt2"]}'] td.overall"))
            .ToContainTextAsync(rows["qwen-ckpt2"].GetProperty("overall").GetDouble().ToString("0.00"));
        // The family's three checkpoints in registration order, each with its leaderboard overall.
        var checkpoints = section.Locator("table.checkpoints tbody tr");
        await Assertions.Expect(checkpoints).ToHaveCountAsync(3);
        Assert.Equal(SeededLeaderboard.Checkpoints, await checkpoints.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.checkpoint)"));
        foreach (var name in SeededLeaderboard.Checkpoints)
            await Assertions.Expect(section.Locator($"tr[data-checkpoint='{name}'] td.num")).ToHaveTextAsync(rows[name].GetProperty("overall").GetDouble().ToString("0.00"));

        // Compare with the majority baseline, item by item.
        await section.Locator("form.compare-form select[name=b]").SelectOptionAsync(new SelectOptionValue { Label = SeededLeaderboard.Majority });
        await section.Locator("form.compare-form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync($"**/runs/compare?a={seeded.CurrentRuns["qwen-ckpt2"]}&b={seeded.CurrentRuns[SeededLeaderboard.Majority]}");
        await Assertions.Expect(page.Locator("table.compare-tasks tbody tr")).ToHaveCountAsync(4);

        var missing = await Client.GetAsync("models/no-such-model");
        Assert.Contains("Model not found", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Each_model_shows_its_latest_run_with_the_run_summarys_scores_and_older_versions_are_marked()
    {
        var board = await BoardAsync();
        var rows = RowsByModel(board);
        Assert.Equal(seeded.CurrentRuns.Keys.Append(SeededLeaderboard.OldOnly).Order(), rows.Keys.Order());

        var currentVersion = board.GetProperty("current_version").GetString()!;
        Assert.Equal(new[] { "smoke/commonsense", "smoke/idioms", "smoke/sentiment" }, board.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()).Order());
        foreach (var (model, runId) in seeded.CurrentRuns)
        {
            // Checkpoint 1 was run on both versions: its row is the newer run.
            Assert.Equal(runId, rows[model].GetProperty("run_id").GetGuid());
            Assert.False(rows[model].GetProperty("older_version").GetBoolean());
            Assert.Equal(currentVersion, rows[model].GetProperty("suite_version").GetString());
        }
        var old = rows[SeededLeaderboard.OldOnly];
        Assert.True(old.GetProperty("older_version").GetBoolean());
        Assert.NotEqual(currentVersion, old.GetProperty("suite_version").GetString());
        Assert.Equal(seeded.OldRuns[SeededLeaderboard.OldOnly], old.GetProperty("run_id").GetGuid());
        // Only the sentiment task changed between the versions.
        Assert.True(old.GetProperty("tasks").GetProperty("smoke/sentiment").GetProperty("older_task_version").GetBoolean());
        Assert.False(old.GetProperty("tasks").GetProperty("smoke/idioms").GetProperty("older_task_version").GetBoolean());
        Assert.Equal(24, old.GetProperty("tasks").GetProperty("smoke/sentiment").GetProperty("n").GetInt32());
        Assert.Equal(25, rows[SeededLeaderboard.Majority].GetProperty("tasks").GetProperty("smoke/sentiment").GetProperty("n").GetInt32());

        // Every figure equals the run summary's (the same TaskScoring and capability roll-up, aggregated in SQL here).
        foreach (var row in rows.Values)
        {
            var summary = await Client.GetFromJsonAsync<JsonElement>($"api/runs/{row.GetProperty("run_id").GetGuid()}");
            Assert.Equal(summary.GetProperty("overall").GetDouble(), row.GetProperty("overall").GetDouble(), 6);
            // The overall's interval: the same stratified bootstrap from counts here as from the items there.
            Assert.Equal(summary.GetProperty("overall_ci_low").GetDouble(), row.GetProperty("overall_ci_low").GetDouble(), 6);
            Assert.Equal(summary.GetProperty("overall_ci_high").GetDouble(), row.GetProperty("overall_ci_high").GetDouble(), 6);
            Assert.InRange(row.GetProperty("overall").GetDouble(), row.GetProperty("overall_ci_low").GetDouble(), row.GetProperty("overall_ci_high").GetDouble());
            Assert.Equal(summary.GetProperty("tasks_mean").GetDouble(), row.GetProperty("tasks_mean").GetDouble(), 6);
            Assert.Equal(summary.GetProperty("total_items").GetInt32(), row.GetProperty("items").GetInt32());
            foreach (var task in summary.GetProperty("tasks").EnumerateObject())
            {
                var cell = row.GetProperty("tasks").GetProperty(task.Name);
                foreach (var field in new[] { "score", "ci_low", "ci_high", "chance", "normalised" })
                    Assert.Equal(task.Value.GetProperty(field).GetDouble(), cell.GetProperty(field).GetDouble(), 6);
                Assert.Equal(task.Value.GetProperty("n").GetInt32(), cell.GetProperty("n").GetInt32());
            }
            foreach (var capability in summary.GetProperty("capabilities").EnumerateObject())
                Assert.Equal(capability.Value.GetDouble(), row.GetProperty("capabilities").GetProperty(capability.Name).GetDouble(), 6);
        }

        // Figures of neither path: the two deterministic baselines' scores from the answer counts in datasets/smoke/README.md
        // (the current sentiment test has 25 items: the added one is labelled "1"). baseline:first (checkpoint 2) answers
        // the first option everywhere; baseline:majority the train split's majority answer (B, C and "0").
        var published = new (string Model, string Task, int Right, int N)[]
        {
            ("qwen-ckpt2", "smoke/idioms", 6, 24), ("qwen-ckpt2", "smoke/commonsense", 7, 24), ("qwen-ckpt2", "smoke/sentiment", 15, 25),
            (SeededLeaderboard.Majority, "smoke/idioms", 9, 24), (SeededLeaderboard.Majority, "smoke/commonsense", 8, 24), (SeededLeaderboard.Majority, "smoke/sentiment", 10, 25),
        };
        foreach (var (model, task, right, n) in published)
        {
            var summary = await Client.GetFromJsonAsync<JsonElement>($"api/runs/{seeded.CurrentRuns[model]}");
            foreach (var cell in new[] { rows[model].GetProperty("tasks").GetProperty(task), summary.GetProperty("tasks").GetProperty(task) })
            {
                Assert.Equal(Math.Round(100.0 * right / n, 4), cell.GetProperty("score").GetDouble());
                Assert.Equal(n, cell.GetProperty("n").GetInt32());
            }
            Assert.Equal(73, rows[model].GetProperty("items").GetInt32());
            Assert.Equal(73, summary.GetProperty("total_items").GetInt32());
        }
        Assert.Equal(72, old.GetProperty("items").GetInt32());
        Assert.Equal("majority", rows[SeededLeaderboard.Majority].GetProperty("baseline").GetString());
        Assert.Equal("random", rows[SeededLeaderboard.Random].GetProperty("baseline").GetString());
        Assert.Equal(JsonValueKind.Null, rows["qwen-ckpt1"].GetProperty("baseline").ValueKind);
        Assert.True(rows["qwen-ckpt2"].GetProperty("accepted").GetBoolean());

        // The page marks the same rows.
        var html = await Client.GetStringAsync("leaderboard?suite=smoke");
        Assert.Matches(RowTag(SeededLeaderboard.OldOnly, "older"), html);
        Assert.Matches(RowTag(SeededLeaderboard.Majority, "baseline"), html);
        Assert.DoesNotMatch(RowTag("qwen-ckpt1", "older"), html);
        Assert.Contains("旧版本 older suite", html);
    }

    [Fact]
    public async Task Sorting_and_filters_select_and_order_the_rows()
    {
        var byModel = await BoardAsync("suite=smoke&sort=model&dir=asc");
        var names = byModel.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("model").GetString()!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);

        foreach (var (sort, pick) in new (string, Func<JsonElement, double>)[]
        {
            ("overall", r => r.GetProperty("overall").GetDouble()),
            ("task:smoke/idioms", r => r.GetProperty("tasks").GetProperty("smoke/idioms").GetProperty("score").GetDouble()),
            ("cap:知识/语言知识", r => r.GetProperty("capabilities").GetProperty("知识/语言知识").GetDouble()),
        })
        {
            var descending = (await BoardAsync($"suite=smoke&sort={Uri.EscapeDataString(sort)}")).GetProperty("rows").EnumerateArray().Select(pick).ToList();
            Assert.Equal(descending.OrderDescending(), descending);
            var ascending = (await BoardAsync($"suite=smoke&sort={Uri.EscapeDataString(sort)}&dir=asc")).GetProperty("rows").EnumerateArray().Select(pick).ToList();
            Assert.Equal(ascending.Order(), ascending);
            Assert.True(descending.Distinct().Count() > 1, $"{sort}: the seeded runs should not all tie");
        }

        var family = RowsByModel(await BoardAsync($"suite=smoke&family={SeededLeaderboard.Family}"));
        Assert.Equal(SeededLeaderboard.Checkpoints, family.Keys.Order());

        var current = RowsByModel(await BoardAsync("suite=smoke&current=true"));
        Assert.DoesNotContain(SeededLeaderboard.OldOnly, current.Keys);
        Assert.Contains("qwen-ckpt1", current.Keys);

        Assert.Empty((await BoardAsync("suite=smoke&from=2999-01-01")).GetProperty("rows").EnumerateArray());
        Assert.Equal(6, (await BoardAsync("suite=smoke&from=2000-01-01&to=2999-12-31")).GetProperty("rows").GetArrayLength());

        foreach (var (query, field) in new[] { ("from=yesterday", "from"), ("from=2026-02-01&to=2026-01-01", "to"), ("sort=bogus", "sort"), ("dir=up", "dir") })
        {
            var response = await Client.GetAsync($"api/leaderboard?suite=smoke&{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {problem}");
        }
        var page = await Client.GetStringAsync("leaderboard?from=yesterday");
        Assert.Contains("is not a date in the form yyyy-MM-dd", page);
    }

    [Fact]
    public async Task Comparing_two_runs_gives_per_task_differences_and_exactly_the_items_they_disagree_on()
    {
        var a = seeded.CurrentRuns["qwen-ckpt2"];
        var b = seeded.CurrentRuns[SeededLeaderboard.Majority];
        var comparison = await Client.GetFromJsonAsync<JsonElement>($"api/runs/compare?a={a}&b={b}");
        var summaryA = await Client.GetFromJsonAsync<JsonElement>($"api/runs/{a}");
        var summaryB = await Client.GetFromJsonAsync<JsonElement>($"api/runs/{b}");

        // A hand count from the stored results: items whose score differs between the runs.
        await using var db = Migrator.CreateContext(seeded.ConnectionString);
        var results = await db.Results.AsNoTracking().Where(r => r.RunId == a || r.RunId == b)
            .Join(db.Tasks, r => r.TaskId, t => t.Id, (r, t) => new { r.RunId, t.Name, r.ItemKey, r.Score }).ToListAsync();
        var expected = results.GroupBy(r => (r.Name, r.ItemKey)).Where(g => g.Count() == 2 && g.Select(r => r.Score).Distinct().Count() == 2)
            .Select(g => g.Key).ToHashSet();
        // And by the README's answer counts: first option against majority answer differ on idioms answered A or B (6 + 9),
        // commonsense answered A or C (7 + 8) and every sentiment item ("1" against "0", 25).
        Assert.Equal(55, expected.Count);

        foreach (var task in comparison.GetProperty("tasks").EnumerateArray())
        {
            var name = task.GetProperty("task").GetString()!;
            var scoreA = summaryA.GetProperty("tasks").GetProperty(name).GetProperty("score").GetDouble();
            var scoreB = summaryB.GetProperty("tasks").GetProperty(name).GetProperty("score").GetDouble();
            Assert.Equal(scoreA, task.GetProperty("score_a").GetDouble(), 4);
            Assert.Equal(scoreB, task.GetProperty("score_b").GetDouble(), 4);
            Assert.Equal(scoreA - scoreB, task.GetProperty("difference").GetDouble(), 3);
            Assert.True(task.GetProperty("ci_low").GetDouble() <= task.GetProperty("difference").GetDouble());
            Assert.True(task.GetProperty("ci_high").GetDouble() >= task.GetProperty("difference").GetDouble());
            Assert.Equal("mcnemar", task.GetProperty("test").GetString());
            Assert.Equal(expected.Count(e => e.Name == name), task.GetProperty("disagreements").GetInt32());
        }
        Assert.Equal(expected.Count, comparison.GetProperty("total_disagreements").GetInt32());
        var listed = comparison.GetProperty("disagreements").EnumerateArray()
            .Select(d => (d.GetProperty("task").GetString()!, d.GetProperty("item_key").GetString()!)).ToHashSet();
        Assert.Equal(expected, listed);

        // Different suite versions, unknown runs and malformed ids are refused, naming the run.
        var mixed = await Client.GetAsync($"api/runs/compare?a={a}&b={seeded.OldRuns[SeededLeaderboard.OldOnly]}");
        Assert.Equal(HttpStatusCode.BadRequest, mixed.StatusCode);
        Assert.Contains("different suite versions", await mixed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"api/runs/compare?a={a}&b={Guid.NewGuid()}")).StatusCode);
        var malformed = await Client.GetAsync($"api/runs/compare?a=nope&b={b}");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.True((await malformed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("a", out _));
    }

    [Fact]
    public async Task In_a_browser_the_charts_draw_a_wrong_item_drills_down_and_two_runs_compare()
    {
        var page = await chromium.NewPageAsync(Client.BaseAddress!);
        await page.GotoAsync("");
        await Chromium.FollowLinkAsync(page, "header.top nav >> text=排行榜 Leaderboard");
        await page.WaitForURLAsync("**/leaderboard");
        foreach (var chart in new[] { "#radar-chart", "#task-chart", "#checkpoint-chart" })
            await Assertions.Expect(page.Locator($"{chart}[data-chart-ready=true] canvas")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator($"tr.older[data-model='{SeededLeaderboard.OldOnly}'] .older-mark")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"tr.baseline[data-model='{SeededLeaderboard.Majority}']")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "leaderboard");

        // Sorting by a header keeps the rows and orders them.
        var byName = RowsByModel(await BoardAsync()).Keys.Order(StringComparer.Ordinal).ToList();
        await page.ClickAsync("th >> text=模型 Model");
        await page.WaitForURLAsync("**sort=model**");
        await Assertions.Expect(page.Locator("table.leaderboard tbody tr").First).ToHaveAttributeAsync("data-model", byName[0]);
        var models = await page.Locator("table.leaderboard tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.model)");
        Assert.Equal(byName, models);
        await Assertions.Expect(page.Locator("#radar-chart[data-chart-ready=true] canvas")).ToHaveCountAsync(1);

        // Drill into a wrong item of checkpoint 2's run.
        await Chromium.FollowLinkAsync(page, "tr[data-model='qwen-ckpt2'] td.model a.run-link");
        await page.WaitForURLAsync($"**/runs/{seeded.CurrentRuns["qwen-ckpt2"]}");
        // The filter is an interactive button: a click counts once the circuit is up, which the heading reports.
        await Assertions.Expect(page.Locator("h1[data-interactive=true]")).ToBeVisibleAsync();
        await page.ClickAsync("button >> text=答错 wrong");
        // baseline:first gets 18 + 17 + 10 of the 73 items wrong (datasets/smoke/README.md), all on the first page of 50.
        await Assertions.Expect(page.Locator("table.items tbody tr")).ToHaveCountAsync(45);
        await Assertions.Expect(page.Locator("table.items tbody tr.wrong")).ToHaveCountAsync(45);
        var first = page.Locator("table.items tbody tr").First;
        await Assertions.Expect(first.Locator("td").Nth(2)).ToContainTextAsync("：");       // the prompt
        await Assertions.Expect(first.Locator("td").Nth(3)).Not.ToBeEmptyAsync();          // raw output
        await Assertions.Expect(first.Locator("td").Nth(5)).Not.ToBeEmptyAsync();          // reference
        await first.ScrollIntoViewIfNeededAsync();
        await Chromium.ScreenshotAsync(page, "run-wrong-items");

        // Compare it with the majority baseline's run of the same version.
        await page.SelectOptionAsync("form.compare-with select[name=b]", seeded.CurrentRuns[SeededLeaderboard.Majority].ToString());
        await page.ClickAsync("form.compare-with button[type=submit]");
        await page.WaitForURLAsync("**/runs/compare?**");
        await Assertions.Expect(page.Locator("table.compare-tasks tbody tr")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("table.compare-tasks tr[data-task='smoke/idioms']")).ToContainTextAsync("mcnemar");
        await Assertions.Expect(page.Locator("table.compare tbody tr.disagree")).ToHaveCountAsync(55);
        await Chromium.ScreenshotAsync(page, "compare-runs");
    }

    private static Regex RowTag(string model, string cssClass) =>
        new($"<tr class=\"[^\"]*\\b{cssClass}\\b[^\"]*\" data-model=\"{Regex.Escape(WebUtility.HtmlEncode(model))}\"");
}
