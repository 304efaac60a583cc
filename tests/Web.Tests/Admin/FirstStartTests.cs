using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Admin;

/// <summary>
/// A fresh installation in Chromium: the home page (baseline runs only) shows the three next steps with copyable
/// commands; once a suite is pulled through the real CLI, the admin new-run page offers it.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class FirstStartTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [SharedDatasetsFact("cmath")]
    public async Task The_home_page_leads_to_pull_register_and_run_and_the_new_run_page_offers_the_pulled_suite()
    {
        SharedDatasetsRule.Require("cmath");
        var datasets = DatasetsCopy.Manifests();
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Runner__Datasets"] = datasets });
        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        var env = new Dictionary<string, string> { ["ConnectionStrings__Evals"] = database.ConnectionString, ["Runner__Datasets"] = datasets };
        // What a first start seeds on the embedded database: baseline runs of the smoke suite (queued here, run by the site's worker).
        var queued = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(2), "run", "--model", "baseline:majority", "--suite", "smoke");
        Assert.True(queued.ExitCode == 0, queued.ToString());

        await page.GotoAsync("");
        var steps = page.Locator("section.next-steps");
        await Assertions.Expect(steps).ToBeVisibleAsync();
        await Assertions.Expect(steps.Locator("li")).ToHaveCountAsync(3);
        var commands = await steps.Locator(".copyable code").AllTextContentsAsync();
        Assert.Contains("./evals datasets pull ceval cmmlu", commands);
        Assert.Contains(commands, c => c.StartsWith("./evals models add --name my-model --spec 'openai:http://", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("./evals models add --name my-onnx --spec onnx:", StringComparison.Ordinal));
        Assert.Contains("./evals run --model my-model --suite ceval --wait", commands);
        Assert.Equal(commands.Count, await steps.Locator(".copyable button.copy").CountAsync());
        // The seeded baseline runs are listed below the steps; they do not hide them.
        await Assertions.Expect(page.Locator("table.runs")).ToContainTextAsync("baseline:", new() { Timeout = 30_000 });
        await Assertions.Expect(steps).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "first-start-home");

        await page.GotoAsync("admin/runs/new");
        await page.FillAsync("input[name=key]", app.AdminKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/admin/runs/new");
        Assert.Equal(0, await page.Locator("#stored-suites option[value=math]").CountAsync());

        var pulled = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "datasets", "pull", "cmath", "--from", RepoPaths.SharedDatasets,
            "--cache", Directory.CreateTempSubdirectory("evals-cache-").FullName);
        Assert.True(pulled.ExitCode == 0, pulled.ToString());

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("ul.pulled-suites")).ToContainTextAsync("math");
        Assert.Equal(1, await page.Locator("#stored-suites option[value=math]").CountAsync());
        await page.FillAsync("input[name='Posted.Model']", "baseline:first");
        await page.FillAsync("input[name='Posted.Suite']", "math");
        await page.FillAsync("input[name='Posted.Limit']", "3");
        await page.ClickAsync("form button[type=submit]");
        await page.WaitForURLAsync("**/runs/*-*");
        await Chromium.ScreenshotAsync(page, "first-start-new-run");
    }
}
