using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Caching;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Runs;

/// <summary>
/// An AlignBench run graded by the deterministic grader, seen in a real browser: per item the answer, the judge's whole
/// reply (behind its disclosure) and the grade read from it, "none readable" where the judge gave none; the leaderboard's
/// AlignBench row carries the run's overall.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class JudgedRunPageTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    // Every third item's reply has no rating: those items are unjudged.
    private const string Judge = "baseline:grader?garbage_every=3";
    private const string Answer = "首先，我们需要理解题意。答案是四十二。";

    [SharedDatasetsFact("alignbench")]
    public async Task A_judged_run_page_shows_each_answer_the_judges_whole_reply_and_its_grade()
    {
        var datasets = DatasetsCopy.Manifests();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Evals"] = database.ConnectionString,
            ["Runner__Datasets"] = datasets,
        };
        var import = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(4), "import", "alignbench", "--path", SharedDatasetsRule.Require("alignbench"));
        Assert.True(import.ExitCode == 0, import.ToString());
        await QualifyAsync();
        var summaryFile = Path.Combine(Directory.CreateTempSubdirectory("evals-judged-page-").FullName, "summary.json");
        var model = $"baseline:say?text={Uri.EscapeDataString(Answer)}";
        var run = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(4), "run", "--model", model, "--suite", "alignbench", "--judge", Judge,
            "--limit", "1", "--wait", "--json", summaryFile);
        Assert.True(run.ExitCode == 0, run.ToString());
        var summary = JsonDocument.Parse(File.ReadAllText(summaryFile)).RootElement;
        var runId = summary.GetProperty("run_id").GetGuid();

        List<(string Key, string Outcome, string Reply, double Grade)> stored;
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var rows = await db.Results.AsNoTracking().Where(r => r.RunId == runId).Select(r => new { r.ItemKey, r.Outcome, r.Details }).ToListAsync();
            stored = rows.Select(r =>
            {
                var details = JsonNode.Parse(r.Details!)!;
                return (r.ItemKey, r.Outcome, details["judge_outputs"]![0]!.GetValue<string>(), details["grades"]![0]!.GetValue<double>());
            }).ToList();
        }
        Assert.Equal(8, stored.Count); // one question from each of AlignBench's 8 categories
        Assert.Contains(stored, s => s.Outcome == "unjudged");
        Assert.Contains(stored, s => s.Outcome != "unjudged");

        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Datasets"] = datasets,
        });
        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync($"runs/{runId}");
        // The interactive render replaces the prerendered page when the circuit starts, closing a disclosure opened
        // before it (seen: the reply hidden again after its click); the heading says when the circuit is up.
        await Assertions.Expect(page.Locator("h1[data-interactive=true]")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("tr.judged")).ToHaveCountAsync(8);
        foreach (var (key, outcome, reply, grade) in stored)
        {
            // The judged row follows its item's row.
            var item = page.Locator("table.items tbody tr", new() { Has = page.Locator($"code:text-is('{key}')") });
            var judged = item.Locator("xpath=following-sibling::tr[1]");
            await Assertions.Expect(judged).ToHaveClassAsync(new System.Text.RegularExpressions.Regex($"judged {outcome}"));
            await Assertions.Expect(judged.Locator("pre.answer")).ToHaveTextAsync(Answer);
            await Assertions.Expect(judged.Locator(".grade")).ToHaveTextAsync(grade < 0 ? "none readable" : grade.ToString("0.##"));
            await Assertions.Expect(judged.Locator("text=judge prompt alignbench-single-1")).ToBeVisibleAsync();
            // The whole reply, one click away.
            await Assertions.Expect(judged.Locator("pre.judge-reply")).Not.ToBeVisibleAsync();
            await judged.Locator("summary").ClickAsync();
            await Assertions.Expect(judged.Locator("pre.judge-reply")).ToBeVisibleAsync();
            Assert.Equal(reply, await judged.Locator("pre.judge-reply").TextContentAsync());
            if (outcome != "unjudged") Assert.True(await judged.Locator(".dimension").CountAsync() >= 4, $"item {key}: AlignBench's dimensions are shown");
        }
        await Chromium.ScreenshotAsync(page, "judged-run");

        var board = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=alignbench");
        var row = Assert.Single(board.GetProperty("rows").EnumerateArray());
        Assert.Equal(summary.GetProperty("overall").GetDouble(), row.GetProperty("overall").GetDouble(), 3);
    }

    private Task QualifyAsync() =>
        PassedJudgeChecks.AddSingleAsync(database.ConnectionString, ModelIdentity.For(ModelSpec.Parse(Judge)), Judge, SingleGradePrompts.AlignBenchVersion);
}
