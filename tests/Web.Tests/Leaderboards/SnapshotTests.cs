using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// <c>evals leaderboard export --html DIR</c> over real runs: every figure of the snapshot equals
/// <c>/api/leaderboard</c>'s for the same data, a model name with markup is shown as text, never run, and the site
/// opens in Chromium with the network off, fetching nothing but its own files.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed partial class SnapshotTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    private const string Markup = "<script>window.__xss = 1</script> & \"模型\"";

    [Fact]
    public async Task The_html_snapshot_equals_the_api_escapes_model_names_and_opens_offline()
    {
        var datasets = DatasetsCopy.Manifests("evals-snapshot-");
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Id = Guid.NewGuid(), Name = Markup, Kind = "baseline", Spec = "baseline:first", CreatedAt = DateTimeOffset.Parse("2026-01-01T00:00:00Z") });
            db.Models.Add(new Model { Id = Guid.NewGuid(), Name = "plain-model", Kind = "baseline", Spec = "baseline:random?seed=5", Family = "plain", Checkpoint = "step-1", CreatedAt = DateTimeOffset.Parse("2026-01-02T00:00:00Z") });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Datasets"] = datasets,
        });
        var runs = new List<Guid>();
        foreach (var model in new[] { Markup, "plain-model", "baseline:majority" })
        {
            var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model, suite = "smoke" });
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            runs.Add((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid());
        }
        foreach (var id in runs)
            await Poll.UntilAsync(async () => (await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{id}")).GetProperty("status").GetString() == "succeeded",
                TimeSpan.FromSeconds(120), $"run {id} to succeed", () => app.Output);

        var dir = Path.Combine(Directory.CreateTempSubdirectory("evals-site-").FullName, "site");
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Evals"] = database.ConnectionString, ["Runner__Datasets"] = datasets };
        var export = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(2), "leaderboard", "export", "--html", dir);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Equal(["index.html", "smoke.csv", "smoke.html", "smoke.json"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var board = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=smoke");
        var html = await File.ReadAllTextAsync(Path.Combine(dir, "smoke.html"));
        Assert.Equal(3, SnapshotHtml.Rows(html).Count);
        SnapshotHtml.AssertEqualsApi(board, html);
        // The snapshot's JSON is the API's answer (the filter and figures; the run dates are the same instants).
        var saved = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "smoke.json"))).RootElement;
        SnapshotHtml.AssertEqualsApi(saved, html);
        var csv = CsvRows.Read(Path.Combine(dir, "smoke.csv"));
        Assert.Equal(board.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("model").GetString()), csv.Select(r => r["model"]));

        // The live page shows the same figures, rounded to 0.1, for every row and task; the CSV carries them to 4 decimals.
        var live = await app.Client.GetStringAsync("leaderboard?suite=smoke");
        var tasks = board.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()!).ToList();
        var liveRows = LiveRow().Matches(live).ToList();
        Assert.Equal(board.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("model").GetString()), liveRows.Select(m => WebUtility.HtmlDecode(m.Groups["model"].Value)));
        foreach (var (json, match, exported) in board.GetProperty("rows").EnumerateArray().Zip(liveRows, csv))
        {
            Assert.Equal(json.GetProperty("overall").GetDouble().ToString("0.0", CultureInfo.InvariantCulture), LiveOverall().Match(match.Value).Groups["v"].Value);
            Assert.Equal(json.GetProperty("overall").GetDouble(), double.Parse(exported["overall"], CultureInfo.InvariantCulture), 1e-4);
            var cells = LiveTaskCell().Matches(match.Value).ToList();
            Assert.Equal(tasks.Count, cells.Count);
            foreach (var (task, cell) in tasks.Zip(cells))
            {
                var expected = json.GetProperty("tasks").GetProperty(task);
                foreach (var (group, field, suffix) in new[] { ("v", "score", ""), ("lo", "ci_low", ":ci_low"), ("hi", "ci_high", ":ci_high") })
                {
                    Assert.Equal(expected.GetProperty(field).GetDouble().ToString("0.0", CultureInfo.InvariantCulture), cell.Groups[group].Value);
                    Assert.Equal(expected.GetProperty(field).GetDouble(), double.Parse(exported[task + suffix], CultureInfo.InvariantCulture), 1e-4);
                }
                Assert.Equal(expected.GetProperty("n").GetInt32().ToString(CultureInfo.InvariantCulture), cell.Groups["n"].Value);
                Assert.Equal(cell.Groups["n"].Value, exported[task + ":n"]);
            }
        }

        // The name is text: escaped in the file. The only script elements are the two bundled files in lib/ (the same
        // bytes the site serves), loaded by src, with nothing inline; the index has none.
        Assert.Equal(["charts.js", "echarts.min.js"], Directory.GetFiles(Path.Combine(dir, "lib")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(await app.Client.GetByteArrayAsync("lib/echarts.min.js"), await File.ReadAllBytesAsync(Path.Combine(dir, "lib", "echarts.min.js")));
        Assert.Equal(await app.Client.GetByteArrayAsync("charts.js"), await File.ReadAllBytesAsync(Path.Combine(dir, "lib", "charts.js")));
        Assert.Equal(["<script src=\"lib/echarts.min.js\"></script>", "<script src=\"lib/charts.js\"></script>"],
            ScriptElement().Matches(html).Select(m => m.Value));
        Assert.Equal(2, html.Split("<script", StringSplitOptions.None).Length - 1);
        Assert.Contains(WebUtility.HtmlEncode(Markup), html);
        Assert.DoesNotContain("<script", await File.ReadAllTextAsync(Path.Combine(dir, "index.html")), StringComparison.OrdinalIgnoreCase);

        // Offline in a browser: the index links to the suite, the table shows every row, the markup is shown and not run,
        // and no request leaves the folder.
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { Offline = true, Locale = "zh-CN" });
        var requested = new List<string>();
        context.Request += (_, request) => requested.Add(request.Url);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Path.Combine(dir, "index.html")).AbsoluteUri);
        await page.Locator("ul.suites a", new() { HasText = "smoke" }).ClickAsync();
        await page.WaitForURLAsync("**/smoke.html");
        await Assertions.Expect(page.Locator("table.leaderboard tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("td.model").Filter(new() { HasText = "<script>window.__xss" })).ToHaveCountAsync(1);
        // The charts draw from the folder's own scripts: the radar of the two contenders and the first task's bars.
        foreach (var chart in new[] { "#radar-chart", "#task-chart" })
        {
            await Assertions.Expect(page.Locator($"{chart}[data-chart-ready='true'] canvas")).ToHaveCountAsync(1);
            Assert.Null(await page.Locator(chart).GetAttributeAsync("data-chart-error"));
        }
        var legend = await page.EvaluateAsync<string[]>("() => echarts.getInstanceByDom(document.querySelector('#radar-chart')).getOption().legend[0].data.map(d => typeof d === 'string' ? d : d.name)");
        Assert.Contains(legend, name => name.Contains(Markup, StringComparison.Ordinal));
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__xss"));
        Assert.All(requested, url => Assert.StartsWith("file://", url));

        // Each registered model has its page in the snapshot, linked from its name (the baseline has none): its
        // registration, its run with the overall and interval the API gives, its rank, and the way back, all offline.
        Assert.Equal(2, Directory.GetFiles(Path.Combine(dir, "models")).Length);
        Assert.Equal(0, await page.Locator("tr[data-model='baseline:majority'] a.model-link").CountAsync());
        var plain = board.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("model").GetString() == "plain-model");
        await page.Locator("tr[data-model='plain-model'] a.model-link").ClickAsync();
        await page.WaitForURLAsync("**/models/plain-model.html");
        await Assertions.Expect(page.Locator("h1.model-name")).ToHaveTextAsync("plain-model");
        await Assertions.Expect(page.Locator("code.spec")).ToHaveTextAsync("baseline:random?seed=5");
        await Assertions.Expect(page.Locator("dd.arena-rating")).ToHaveTextAsync("not rated yet");
        var overall = page.Locator($"section.model-suite[data-suite='smoke'] tr[data-run='{plain.GetProperty("run_id").GetGuid()}'] td.overall");
        await Assertions.Expect(overall).ToContainTextAsync(plain.GetProperty("overall").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)
            + $"[{plain.GetProperty("overall_ci_low").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)}, {plain.GetProperty("overall_ci_high").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)}]");
        Assert.Equal(plain.GetProperty("overall").GetDouble().ToString("R", CultureInfo.InvariantCulture), await overall.GetAttributeAsync("data-value"));
        await Assertions.Expect(page.Locator("section.model-suite td.rank")).ToHaveTextAsync(plain.GetProperty("rank").GetInt32().ToString(CultureInfo.InvariantCulture));
        await page.Locator("section.model-suite h2 a").ClickAsync();
        await page.WaitForURLAsync("**/smoke.html");
        Assert.All(requested, url => Assert.StartsWith("file://", url));

        // Bad input: a file where the folder should be is exit 2, nothing written.
        var file = Path.Combine(Path.GetDirectoryName(dir)!, "not-a-folder");
        await File.WriteAllTextAsync(file, "x");
        var bad = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(2), "leaderboard", "export", "--html", file);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("is a file, not a folder", bad.StdErr);
        var unknown = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(2), "leaderboard", "export", "--html", dir + "-2", "--suite", "nosuch");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("--suite 'nosuch'", unknown.StdErr);
        Assert.False(Directory.Exists(dir + "-2"));
    }

    [GeneratedRegex("<tr(?: class=\"[^\"]*\")? data-model=\"(?<model>[^\"]*)\">.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex LiveRow();

    [GeneratedRegex("<script[^>]*>[^<]*</script>")]
    private static partial Regex ScriptElement();

    [GeneratedRegex("<td class=\"num overall\">(?<v>[^<]*)")]
    private static partial Regex LiveOverall();

    [GeneratedRegex("<td class=\"num[^\"]*\" title=\"[^\"]*\">(?<v>[0-9.]+)<small>\\[(?<lo>[0-9.]+), (?<hi>[0-9.]+)\\] n=(?<n>[0-9]+)</small></td>")]
    private static partial Regex LiveTaskCell();
}
