using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.TestKit;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// A suite whose suite.json declares its tasks as the official columns (as CLUE's does, with the CLUE score) opens on
/// those tasks, each showing the task's score, and an overall that is the plain mean of the task cells, in the API,
/// the page and the run summary.
/// </summary>
public sealed class TaskColumnViewTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_task_column_view_shows_each_tasks_cell_and_the_mean_of_the_cells_as_its_overall()
    {
        var datasets = DatasetsCopy.Manifests("evals-task-view-");
        GenerationRowTests.WriteSuite(datasets, "tv");
        File.WriteAllText(Path.Combine(datasets, "tv", "suite.json"), """
            {"name": "tv", "leaderboard": {"columns": [{"key": "overall", "label": "总分 Score"}, {"key": "titles", "label": "Titles"}, {"key": "spans", "label": "Spans"}]}}
            """);
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Datasets"] = datasets,
        });
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = GenerationRowTests.Model, suite = "tv" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var run = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        await Poll.UntilAsync(async () => (await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{run}")).GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromSeconds(120), "the run to succeed", () => app.Output);

        var board = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=tv");
        Assert.Equal(["overall", "titles", "spans"], board.GetProperty("view_columns").EnumerateArray().Select(c => c.GetProperty("key").GetString()));
        var row = Assert.Single(board.GetProperty("rows").EnumerateArray());
        var titles = row.GetProperty("tasks").GetProperty("tv/titles").GetProperty("score").GetDouble();
        var spans = row.GetProperty("tasks").GetProperty("tv/spans").GetProperty("score").GetDouble();
        Assert.NotEqual(titles, spans);
        var categories = row.GetProperty("categories");
        Assert.Equal(titles, categories.GetProperty("titles").GetDouble(), 1e-3);
        Assert.Equal(spans, categories.GetProperty("spans").GetDouble(), 1e-3);
        Assert.Equal((titles + spans) / 2, categories.GetProperty("overall").GetDouble(), 1e-3);

        var summary = await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{run}");
        Assert.Equal((titles + spans) / 2, summary.GetProperty("categories").GetProperty("tv").GetProperty("overall").GetDouble(), 1e-3);

        var page = await app.Client.GetStringAsync("leaderboard?suite=tv");
        Assert.Equal(3, page.Split("<th class=\"category\">").Length - 1);
        foreach (var (key, value) in new[] { ("overall", (titles + spans) / 2), ("titles", titles), ("spans", spans) })
            Assert.Contains($"data-category=\"{key}\">{value.ToString("0.0", CultureInfo.InvariantCulture)}<", page);
    }
}
