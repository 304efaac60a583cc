using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Storage.Results;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// The leaderboard page shows one page of rows (50 unless <c>size</c> says otherwise) out of a sorted, ranked view of
/// 120 models: page 2 shows ranks 51–100, the rows the whole view has there; its links keep the filters, the sort and
/// the chart's task; a new sort starts again at page 1; the API gives every row unless asked for a page, and its page
/// is the same slice.
/// </summary>
public sealed partial class LeaderboardPagingTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private const string Family = "paged";
    private const int Models = 120;

    [Fact]
    public async Task Page_two_shows_ranks_51_to_100_with_links_that_keep_the_filters()
    {
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });
        await SeedAsync(app);
        const string filters = "suite=smoke&family=paged&sort=overall&dir=desc";

        // The whole view (the API's default): 120 ranked rows in overall order.
        var all = (await app.Client.GetFromJsonAsync<JsonElement>($"api/leaderboard?{filters}")).GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(Models, all.Count);
        Assert.Equal(Enumerable.Range(1, Models), all.Select(r => r.GetProperty("rank").GetInt32()));
        var overalls = all.Select(r => r.GetProperty("overall").GetDouble()).ToList();
        Assert.Equal(overalls.OrderDescending(), overalls);
        Assert.True(overalls.Distinct().Count() > 10, $"the seeded models should not all tie: {string.Join(", ", overalls.Distinct())}");

        // Page 2 of the page: ranks 51–100, the view's rows 51–100, with each row's figures.
        var html = await app.Client.GetStringAsync($"leaderboard?{filters}&task=smoke%2Fidioms&page=2");
        var rows = RowPattern().Matches(html).Select(m => (Model: WebUtility.HtmlDecode(m.Groups["model"].Value), Rank: int.Parse(m.Groups["rank"].Value))).ToList();
        Assert.Equal(Enumerable.Range(51, 50), rows.Select(r => r.Rank));
        Assert.Equal(all.Skip(50).Take(50).Select(r => r.GetProperty("model").GetString()), rows.Select(r => r.Model));
        Assert.Contains("page 2 of 3, rows 51-100 of 120", html);

        // Its links keep every filter, the sort and the task; first, previous and next page, and the last.
        var links = Links(html);
        foreach (var (page, href) in new[] { (1, links["1"]), (1, links["prev"]), (3, links["next"]), (3, links["3"]) })
            Assert.Equal($"leaderboard?{filters}&page={page}&task=smoke%2Fidioms", href);
        Assert.False(links.ContainsKey("2"), "the current page is not a link");

        // Following "next" shows the last 20 rows and no further link.
        var last = await app.Client.GetStringAsync(links["next"]);
        Assert.Equal(Enumerable.Range(101, 20), RowPattern().Matches(last).Select(m => int.Parse(m.Groups["rank"].Value)));
        Assert.False(Links(last).ContainsKey("next"));

        // A new sort starts again at page 1; the exports give every row (no page in their links).
        var sortByModel = Regex.Match(html, "<a href=\"(?<href>leaderboard\\?[^\"]*sort=model[^\"]*)\"").Groups["href"].Value;
        Assert.DoesNotContain("page=", WebUtility.HtmlDecode(sortByModel));
        Assert.Contains("family=paged", WebUtility.HtmlDecode(sortByModel));
        var csvLink = WebUtility.HtmlDecode(Regex.Match(html, "class=\"export-csv\" href=\"(?<href>[^\"]*)\"").Groups["href"].Value);
        Assert.DoesNotContain("page=", csvLink);
        var csv = await app.Client.GetStringAsync(csvLink);
        Assert.Equal(Models + 1, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);

        // The API's page 2 is the same slice, with the view's size; a smaller page size pages the same order.
        var page2 = await app.Client.GetFromJsonAsync<JsonElement>($"api/leaderboard?{filters}&page=2");
        Assert.Equal(all.Skip(50).Take(50).Select(r => r.GetProperty("run_id").GetGuid()), page2.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("run_id").GetGuid()));
        Assert.Equal(Models, page2.GetProperty("total_rows").GetInt32());
        Assert.Equal(3, page2.GetProperty("page_count").GetInt32());
        var small = await app.Client.GetFromJsonAsync<JsonElement>($"api/leaderboard?{filters}&page=4&size=7");
        Assert.Equal(Enumerable.Range(22, 7), small.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("rank").GetInt32()));
        var smallPage = await app.Client.GetStringAsync($"leaderboard?{filters}&page=4&size=7");
        Assert.StartsWith($"leaderboard?{filters}&page=5&size=7&task=", Links(smallPage)["next"]);

        // Bad paging parameters are 400s naming the field.
        foreach (var (query, field) in new[] { ("page=0", "page"), ("page=x", "page"), ("size=0", "size"), ("size=501", "size") })
        {
            var bad = await app.Client.GetAsync($"api/leaderboard?suite=smoke&{query}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _), query);
        }
    }

    /// <summary>
    /// One real run (the majority baseline) stores the smoke suite and its items; then 120 models of one family each
    /// get a run whose results answer the first k items of each task right (k from 60% of the task up, so every one
    /// beats the baseline and ties are few), written by the real <see cref="ResultWriter"/> and ended through the
    /// status change that stores its counts.
    /// </summary>
    private async Task SeedAsync(WebApp app)
    {
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = "baseline:majority", suite = "smoke" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var baseline = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        await Poll.UntilAsync(async () => (await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{baseline}")).GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromSeconds(120), "the baseline run", () => app.Output);

        await using var db = Migrator.CreateContext(database.ConnectionString);
        var template = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == baseline);
        var items = (await db.Results.AsNoTracking().Where(r => r.RunId == baseline).Select(r => new { r.TaskId, r.ItemKey, r.Reference }).ToListAsync())
            .GroupBy(r => r.TaskId).ToList();
        var registered = DateTimeOffset.Parse("2026-03-01T00:00:00Z");
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        for (var m = 0; m < Models; m++)
        {
            var model = new Model
            {
                Id = Guid.NewGuid(), Name = $"paged-{m:000}", Kind = "baseline", Spec = "baseline:first", Family = Family, Checkpoint = $"step-{m}",
                CreatedAt = registered.AddMinutes(m),
            };
            var run = new Run
            {
                Id = Guid.NewGuid(), ModelId = model.Id, ModelName = model.Name, ModelSpec = model.Spec, SuiteId = template.SuiteId, Config = template.Config,
                Status = RunStatus.Running, TotalItems = template.TotalItems, CreatedAt = registered.AddMinutes(m), StartedAt = registered.AddMinutes(m),
            };
            db.Models.Add(model);
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            var rows = new List<ResultRow>();
            foreach (var (task, t) in items.Select((task, t) => (task, t)))
            {
                var ordered = task.OrderBy(i => i.ItemKey, StringComparer.Ordinal).ToList();
                var right = (int)Math.Ceiling(ordered.Count * (0.6 + 0.4 * ((m * 37 + t * 53) % Models) / Models));
                rows.AddRange(ordered.Select((item, i) => new ResultRow(run.Id, task.Key, item.ItemKey, "prompt", "answer", i < right ? item.Reference : "?",
                    item.Reference, i < right ? "correct" : "wrong", i < right ? 100 : 0, 1, 1, 1, null, registered, "{}")));
            }
            await ResultWriter.WriteAsync(connection, rows, CancellationToken.None);
            await db.Database.ExecuteSqlAsync($"update runs set status = 'succeeded', completed_items = total_items, finished_at = {registered.AddHours(1).AddMinutes(m)} where id = {run.Id}");
        }
    }

    /// <summary>The pager's links by their text: page numbers, "prev" and "next" (the first pager on the page).</summary>
    private static Dictionary<string, string> Links(string html)
    {
        var pager = Regex.Match(html, "<nav class=\"pager\".*?</nav>", RegexOptions.Singleline).Value;
        return PageLinkPattern().Matches(pager).ToDictionary(m => m.Groups["rel"].Success ? m.Groups["rel"].Value : m.Groups["page"].Value,
            m => WebUtility.HtmlDecode(m.Groups["href"].Value));
    }

    [GeneratedRegex("<tr class=\"[^\"]*\" data-model=\"(?<model>[^\"]*)\">\\s*<td class=\"num rank\">(?<rank>[0-9]+)</td>")]
    private static partial Regex RowPattern();

    [GeneratedRegex("<a class=\"page-link\"(?: rel=\"(?<rel>prev|next)\")? data-page=\"(?<page>[0-9]+)\" href=\"(?<href>[^\"]*)\"")]
    private static partial Regex PageLinkPattern();
}
