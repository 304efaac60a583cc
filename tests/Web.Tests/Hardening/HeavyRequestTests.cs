using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Benchmarks.Feedback;
using Evals.TestKit;
using Evals.Web.Feedback;

namespace Evals.Web.Tests.Hardening;

/// <summary>
/// Issue 18, finding 7: anonymous requests must not trigger unbounded work. Finished results are computed once (the
/// cache logs each computation, which is what these tests count), heavy endpoints are limited per address for anyone
/// but admins, and the feedback summary is linear in the number of model names.
/// </summary>
public sealed class HeavyRequestTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_finished_comparison_and_summary_are_computed_once_and_then_served_from_the_cache()
    {
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            // Each request is logged as it starts: a marked request's line means every line logged before it is out.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        var a = await SubmitAsync(app, "baseline:first");
        var b = await SubmitAsync(app, "baseline:majority");
        await WaitAsync(app, a);
        await WaitAsync(app, b);

        var before = app.Output.Length;
        var first = await app.Client.GetStringAsync($"api/runs/compare?a={a}&b={b}");
        var second = await app.Client.GetStringAsync($"api/runs/compare?a={a}&b={b}");
        var summaries = new List<string>();
        for (var i = 0; i < 3; i++) summaries.Add(await app.Client.GetStringAsync($"api/runs/{a}"));
        Assert.Contains("Run A", await app.Client.GetStringAsync($"runs/compare?a={a}&b={b}"));
        await LogWrittenAsync(app);

        var log = app.Output[before..];
        Assert.Equal(first, second);
        Assert.Single(summaries.Distinct());
        Assert.Equal(1, Count(log, $"Computed comparison {a}:{b} "));
        // The last poll of WaitAsync may already have computed the finished run's summary; no request after it does.
        Assert.InRange(Count(log, $"Computed summary {a}:"), 0, 1);
        Assert.Contains($"Computed summary {a}:", app.Output);
        var again = app.Output.Length;
        await app.Client.GetStringAsync($"api/runs/{a}");
        await app.Client.GetStringAsync($"api/runs/compare?a={a}&b={b}");
        await LogWrittenAsync(app);
        Assert.DoesNotContain("Computed", app.Output[again..]);
    }

    [Fact]
    public async Task Anonymous_heavy_requests_get_429_with_Retry_After_past_the_limit_and_admins_do_not()
    {
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false", ["HeavyRequests__PerMinutePerAddress"] = "3",
        });
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("api/feedback/summary")).StatusCode);

        var limited = await app.Client.GetAsync("api/feedback/summary");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(limited.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 60);
        Assert.Contains("retry after", (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.Client.GetAsync($"api/runs/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.Client.GetAsync($"runs/{Guid.NewGuid()}")).StatusCode);
        // What computes nothing stays open.
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("api/runs")).StatusCode);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.AdminClient.GetAsync("api/feedback/summary")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await app.AdminClient.GetAsync($"api/runs/{Guid.NewGuid()}")).StatusCode);
        }
        // A wrong Bearer key is no admin.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "api/feedback/summary");
        forged.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "evals_not_a_key");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.Client.SendAsync(forged)).StatusCode);
    }

    [Fact]
    public void The_feedback_summary_is_linear_in_the_number_of_model_names()
    {
        // 100,000 names chosen by feedback clients: the old per-model scan of every row did 10^10 comparisons (minutes);
        // a lookup per name takes well under a second.
        const int models = 100_000;
        var day = new DateOnly(2026, 1, 1);
        var daily = Enumerable.Range(0, models).Select(i => ($"m{i:D6}", day, 10, i % 11)).ToList();
        var checks = Enumerable.Range(0, models).Select(i => ($"m{i:D6}", "refusal", i % 3, 5, 0)).ToList();
        var started = System.Diagnostics.Stopwatch.StartNew();

        var rows = FeedbackQueries.PerModel(daily, checks, new Dictionary<string, DriftResult>());

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"took {started.Elapsed}");
        Assert.Equal(models, rows.Count);
        var row = rows[12_345];
        Assert.Equal("m012345", row.Model);
        Assert.Equal(12_345 % 11, row.Satisfaction.Positive);
        Assert.Equal(12_345 % 3, row.Checks.Single(c => c.Check == "refusal").Flagged.Positive);
    }

    /// <summary>
    /// The console logger writes from one queue, in order, a moment after the answer has gone: once a request made now
    /// shows in the output, every line logged by the requests before it is there too.
    /// </summary>
    private static async Task LogWrittenAsync(WebApp app)
    {
        var mark = Guid.NewGuid().ToString("N");
        await app.Client.GetAsync($"healthz?mark={mark}");
        await app.WaitForOutputAsync($"healthz?mark={mark}", TimeSpan.FromSeconds(30));
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static async Task<Guid> SubmitAsync(WebApp app, string model)
    {
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model, suite = "smoke" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
    }

    private static async Task WaitAsync(WebApp app, Guid id) =>
        await Poll.UntilAsync(async () => (await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{id}")).GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromSeconds(120), $"run {id} to succeed", () => app.Output);
}
