using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Benchmarks.Models;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Runs;

/// <summary>Submit through the API, let the worker hosted by the web process execute it, then read the pages over HTTP.</summary>
public sealed class RunPagesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_run_submitted_through_the_api_runs_and_its_pages_render_scores_and_items()
    {
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });

        var health = await app.Client.GetFromJsonAsync<JsonElement>("healthz");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal("running", health.GetProperty("scheduler").GetProperty("status").GetString());

        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = "baseline:first", suite = "smoke" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var runId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();

        JsonElement summary = default;
        await Poll.UntilAsync(async () =>
        {
            summary = await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{runId}");
            return summary.GetProperty("status").GetString() is "succeeded" or "failed";
        }, TimeSpan.FromSeconds(90), "the run to finish", () => app.Output);
        Assert.Equal("succeeded", summary.GetProperty("status").GetString());
        // baseline:first answers "A" everywhere: 6 of the 24 idiom items have answer A (datasets/smoke/README.md).
        Assert.Equal(25.0, summary.GetProperty("tasks").GetProperty("smoke/idioms").GetProperty("score").GetDouble());

        var page = await app.Client.GetStringAsync($"runs/{runId}");
        Assert.Contains("smoke/idioms", page);
        Assert.Contains("25.00", page);
        Assert.Contains("succeeded", page);
        Assert.Contains("以下是关于成语的单项选择题", page);
        Assert.Contains("idioms-test-001", page);

        var list = await app.Client.GetStringAsync("");
        Assert.Contains(runId.ToString()[..8], list);
        Assert.Contains("baseline:first", list);

        var wrong = await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{runId}/results?filter=wrong");
        // By hand from datasets/smoke: first is right on 6 idioms (A), 7 commonsense (A) and 14 sentiment (正面) of 24 each.
        Assert.Equal(72 - 6 - 7 - 14, wrong.GetProperty("total").GetInt32());
        Assert.Equal(45, wrong.GetProperty("rows").GetArrayLength()); // one page of 100
        // A baseline always gives a parseable answer, so every one of them is plainly wrong.
        Assert.All(wrong.GetProperty("rows").EnumerateArray(), r => Assert.Equal("wrong", r.GetProperty("outcome").GetString()));

        // A multi-turn item's stored prompt (the conversation as JSON) is shown turn by turn on the run page.
        var conversation = Conversation.ToStored([new("user", "知道保和殿吗？"), new("assistant", "知道呀。"), new("user", "游玩需要多长时间？")]);
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            Assert.Equal(1, await db.Results.Where(r => r.RunId == runId && r.ItemKey == "idioms-test-001")
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Prompt, conversation)));
        var shown = await app.Client.GetStringAsync($"runs/{runId}");
        Assert.Contains("""<li class="turn assistant"><span class="role">assistant</span><pre>知道呀。</pre></li>""", shown);
        Assert.Contains("""<li class="turn user"><span class="role">user</span><pre>游玩需要多长时间？</pre></li>""", shown);
        Assert.DoesNotContain("[{&quot;role&quot;", shown);
    }
}
