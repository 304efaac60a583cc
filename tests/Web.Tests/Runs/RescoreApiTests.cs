using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.TestKit;

namespace Evals.Web.Tests.Runs;

/// <summary>Re-scoring over the API (the CLI's `runs rescore`), and how the run pages link a re-scoring and its source.</summary>
public sealed class RescoreApiTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_rescoring_started_over_the_api_scores_as_its_source_and_both_pages_link_each_other()
    {
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = "baseline:first", suite = "smoke" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var sourceId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        var source = await FinishedAsync(app, sourceId);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.PostAsync($"api/runs/{sourceId}/rescore", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.AdminClient.PostAsync($"api/runs/{Guid.NewGuid()}/rescore", null)).StatusCode);
        var rescore = await app.AdminClient.PostAsync($"api/runs/{sourceId}/rescore", null);
        Assert.Equal(HttpStatusCode.Created, rescore.StatusCode);
        var rescoredId = (await rescore.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        var rescored = await FinishedAsync(app, rescoredId);

        Assert.Equal(sourceId, rescored.GetProperty("rescored_from").GetGuid());
        Assert.Equal(source.GetProperty("tasks").GetRawText(), rescored.GetProperty("tasks").GetRawText());
        Assert.Equal(source.GetProperty("overall").GetDouble(), rescored.GetProperty("overall").GetDouble());
        var page = await app.Client.GetStringAsync($"runs/{rescoredId}");
        Assert.Contains($"re-scored from <a href=\"runs/{sourceId}\">{sourceId}</a>", page);
        var sourcePage = await app.Client.GetStringAsync($"runs/{sourceId}");
        Assert.Contains($"<a href=\"runs/{rescoredId}\">{rescoredId}</a>", sourcePage);
        Assert.DoesNotContain("re-scored from", sourcePage);
    }

    private static async Task<JsonElement> FinishedAsync(WebApp app, Guid runId)
    {
        JsonElement summary = default;
        await Poll.UntilAsync(async () =>
        {
            summary = await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{runId}");
            return summary.GetProperty("status").GetString() is "succeeded" or "failed";
        }, TimeSpan.FromSeconds(90), $"run {runId} to finish", () => app.Output);
        Assert.Equal("succeeded", summary.GetProperty("status").GetString());
        return summary;
    }
}
