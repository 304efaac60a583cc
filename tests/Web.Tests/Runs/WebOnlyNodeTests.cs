using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.TestKit;

namespace Evals.Web.Tests.Runs;

/// <summary>The compose topology: a web node that only enqueues, and a separate worker process that executes.</summary>
public sealed class WebOnlyNodeTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_web_only_node_enqueues_and_a_separate_worker_executes()
    {
        await using var web = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Enabled"] = "false",
        });
        var health = await web.Client.GetFromJsonAsync<JsonElement>("healthz");
        Assert.StartsWith("enqueue-only", health.GetProperty("scheduler").GetProperty("status").GetString());

        var created = await web.AdminClient.PostAsJsonAsync("api/runs", new { model = "baseline:majority", suite = "smoke", limit = 5 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var runId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        Assert.Equal("queued", (await web.Client.GetFromJsonAsync<JsonElement>($"api/runs/{runId}")).GetProperty("status").GetString());

        using var worker = CliProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Evals"] = database.ConnectionString,
            ["Runner__CheckinIntervalMs"] = "1000",
        }, "worker");
        await Poll.UntilAsync(async () => (await web.Client.GetFromJsonAsync<JsonElement>($"api/runs/{runId}")).GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromSeconds(90), "the worker to execute the run", () => worker.Output);
        var summary = await web.Client.GetFromJsonAsync<JsonElement>($"api/runs/{runId}");
        Assert.Equal(15, summary.GetProperty("completed_items").GetInt32());
        // What a web-only node must never do, checked after the whole run: execute it. EvaluateRunJob logs
        // "Run {id} (model on suite …) starts on {scheduler}" on the node that executes; only the worker did.
        var starts = $"Run {runId} (";
        Assert.Contains(starts, worker.Output);
        Assert.DoesNotContain(starts, web.Output);
        Assert.DoesNotContain($"Run {runId} succeeded", web.Output);
    }
}
