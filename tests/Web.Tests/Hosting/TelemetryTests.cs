using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Evals.Web.Tests.Hosting;

/// <summary>
/// Issue 21, test 2: with <c>Telemetry:Prometheus</c> on, a run submitted over HTTP and executed by this node's worker
/// leaves one trace (the POST, the submission, the Quartz job, each model call, tied by <c>evals.run_id</c>) in an
/// in-memory exporter, and <c>/metrics</c>, scraped over loopback, carries the GenAI and Evals metrics with the figures
/// the run and the spans give. A second run of the same model is answered from the response cache, and says so.
/// </summary>
[Collection(InProcessWebApp.Collection)]
public sealed class TelemetryTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private const string Model = "telemetry-model";
    private const int Limit = 4;

    [Fact]
    public async Task A_run_is_one_trace_from_submission_to_model_calls_and_its_metrics_are_scraped()
    {
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Id = Guid.NewGuid(), Name = Model, Kind = "baseline", Spec = "baseline:random?seed=7", CreatedAt = DateTimeOffset.Parse("2026-01-01T00:00:00Z") });
            await db.SaveChangesAsync();
        }
        var feedbackKey = await WebApp.CreateKeyAsync(database.ConnectionString, "feedback");
        var spans = new SpanList();
        await using var app = await InProcessWebApp.StartAsync(database.ConnectionString,
            new Dictionary<string, string> { ["Telemetry:Prometheus"] = "true", ["Telemetry:GaugeIntervalSeconds"] = "1" },
            builder => builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));

        var first = await RunAsync(app, spans);
        var total = first.TotalItems;
        Assert.Equal(3 * Limit, total);
        var trace = Spans(spans).Where(s => s.TraceId == first.Submit.TraceId).ToList();
        var post = Assert.Single(trace, s => s.Kind == ActivityKind.Server);
        Assert.Equal("POST", post.GetTagItem("http.request.method"));
        Assert.Equal(post.SpanId, first.Submit.ParentSpanId);
        var execute = Assert.Single(trace, s => s.DisplayName == "evals.run.execute");
        Assert.Equal(first.Submit.SpanId, execute.ParentSpanId);
        Assert.Equal(first.RunId.ToString(), execute.GetTagItem("evals.run_id"));
        var calls = trace.Where(s => s.Source.Name == "Evals.Runner" && s.Kind == ActivityKind.Client).ToList();
        Assert.Equal(total, calls.Count);
        Assert.All(calls, c =>
        {
            Assert.Equal(execute.SpanId, c.ParentSpanId);
            Assert.Equal(first.RunId.ToString(), c.GetTagItem("evals.run_id"));
            Assert.Equal(Model, c.GetTagItem("gen_ai.request.model"));
            Assert.Equal("baseline", c.GetTagItem("gen_ai.provider.name"));
            Assert.Null(c.GetTagItem("evals.cached"));
        });
        Assert.Contains(trace, s => s.Source.Name == "Npgsql");

        // The same run again: every call is a cache hit, in its own trace.
        var second = await RunAsync(app, spans);
        var cached = Spans(spans).Where(s => s.TraceId == second.Submit.TraceId && s.Source.Name == "Evals.Runner" && s.Kind == ActivityKind.Client).ToList();
        Assert.Equal(total, cached.Count);
        Assert.All(cached, c => Assert.Equal(true, c.GetTagItem("evals.cached")));

        // Feedback and arena counters: one rejected event, one refused battle (the arena needs two registered models; there is one).
        using (var feedback = new HttpRequestMessage(HttpMethod.Post, "api/feedback") { Content = new StringContent("{}", Encoding.UTF8, "application/json") })
        {
            feedback.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", feedbackKey);
            Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.SendAsync(feedback)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.Client.PostAsJsonAsync("api/arena/battles", new { prompt = "你好" })).StatusCode);

        var metrics = await ScrapeAsync(app);
        var model = $"gen_ai_request_model=\"{Model}\"";
        Assert.Equal(total, Sum(metrics, "gen_ai_client_operation_duration_seconds_count", model));
        Assert.Equal(2 * total, Sum(metrics, "evals_run_items_total", $"evals_model=\"{Model}\""));
        Assert.Equal(total, Sum(metrics, "evals_response_cache_hits_total", model));
        // Token histograms: one input and one output observation per answered call; their sums are the spans' usage.
        Assert.Equal(total, Sum(metrics, "gen_ai_client_token_usage_count", model, "gen_ai_token_type=\"input\""));
        Assert.Equal(calls.Sum(c => Convert.ToDouble(c.GetTagItem("gen_ai.usage.input_tokens"), CultureInfo.InvariantCulture)),
            Sum(metrics, "gen_ai_client_token_usage_sum", model, "gen_ai_token_type=\"input\""));
        Assert.Equal(2, Sum(metrics, "evals_runs_finished_total", "evals_run_status=\"succeeded\""));
        Assert.Equal(1, Sum(metrics, "evals_feedback_events_total", "evals_result=\"rejected\""));
        Assert.Equal(1, Sum(metrics, "evals_arena_battles_total", "evals_result=\"refused\""));
        // Both runs have ended: nothing waits or runs once the gauge has been counted again.
        await Poll.UntilAsync(async () =>
        {
            var now = await ScrapeAsync(app);
            return now.Any(l => l.StartsWith("evals_runs{", StringComparison.Ordinal) && l.Contains("evals_run_status=\"queued\"", StringComparison.Ordinal))
                && Sum(now, "evals_runs", "evals_run_status=\"running\"") == 0 && Sum(now, "evals_runs", "evals_run_status=\"queued\"") == 0
                && now.Any(l => l.StartsWith("evals_run_shards{", StringComparison.Ordinal))
                && Sum(now, "evals_run_shards", "evals_shard_status=\"running\"") == 0 && Sum(now, "evals_run_shards", "evals_shard_status=\"queued\"") == 0;
        }, TimeSpan.FromSeconds(10), "the evals.runs and evals.run_shards gauges to show no queued or running run or shard");
        Assert.Contains(metrics, l => l.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal));
    }

    private sealed record Submitted(Guid RunId, int TotalItems, Activity Submit);

    private static async Task<Submitted> RunAsync(InProcessWebApp app, SpanList exported)
    {
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = Model, suite = "smoke", limit = Limit });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var runId = body.GetProperty("run_id").GetGuid();
        string? status = null;
        await Poll.UntilAsync(async () =>
        {
            status = (await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{runId}")).GetProperty("status").GetString();
            return status is "succeeded" or "failed" or "cancelled";
        }, TimeSpan.FromSeconds(60), $"run {runId} to end");
        Assert.Equal("succeeded", status);
        // The job's span ends when the job returns, after the run's end (and its leaderboard row) is stored: wait for its export.
        await Poll.UntilAsync(() => Task.FromResult(Spans(exported).Any(s => s.DisplayName == "evals.run.execute" && (string?)s.GetTagItem("evals.run_id") == runId.ToString())),
            TimeSpan.FromSeconds(30), $"run {runId}'s job span to end");
        var submit = Assert.Single(Spans(exported), s => s.DisplayName == "evals.run.submit" && (string?)s.GetTagItem("evals.run_id") == runId.ToString());
        return new Submitted(runId, body.GetProperty("total_items").GetInt32(), submit);
    }

    private static List<Activity> Spans(SpanList exported) => exported.Snapshot();

    /// <summary>The in-memory exporter adds from the exporting thread while the test reads.</summary>
    private sealed class SpanList : System.Collections.ObjectModel.Collection<Activity>
    {
        public List<Activity> Snapshot()
        {
            lock (Items) return Items.ToList();
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (Items) base.InsertItem(index, item);
        }
    }

    private static async Task<List<string>> ScrapeAsync(InProcessWebApp app)
    {
        var response = await app.Client.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.Length > 0 && l[0] != '#').ToList();
    }

    /// <summary>The sum of a metric's samples whose labels contain every one of <paramref name="labels"/>.</summary>
    private static double Sum(List<string> lines, string metric, params string[] labels) =>
        lines.Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .Where(l => labels.All(label => l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => double.Parse((l.Contains('{') ? l[(l.LastIndexOf('}') + 1)..] : l[metric.Length..]).Trim().Split(' ')[0], CultureInfo.InvariantCulture));
}
