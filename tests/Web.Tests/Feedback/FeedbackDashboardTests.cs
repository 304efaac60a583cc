using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Feedback;

/// <summary>
/// Five weeks of synthetic ratings sent through the API: <c>dropping</c> goes from 85% positive to 65% this week,
/// <c>steady</c> stays at 80% with binomial noise. The drift JSON and the public page must alert on the first only.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class FeedbackDashboardTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Drift_alerts_on_a_synthetic_drop_and_stays_silent_on_noise_in_the_JSON_and_on_the_page()
    {
        var key = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "app", Scope = "feedback", Hash = ApiKey.HashOf(key), Prefix = key[..10] });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false" });
        var experiment = await app.AdminClient.PostAsJsonAsync("api/ab/experiments", new
        {
            name = "greeting", variants = new[] { new { name = "formal", weight = 50.0 }, new { name = "casual", weight = 50.0 } }, stopping_rule = "confidence_sequence",
        });
        Assert.Equal(HttpStatusCode.Created, experiment.StatusCode);

        var now = TimeProvider.System.GetUtcNow();
        var random = new Random(42);
        var events = new List<JsonObject>();
        void Add(string model, DateTimeOffset at, bool positive, string? variant = null)
        {
            var e = new JsonObject
            {
                ["event_id"] = $"{model}-{events.Count}", ["trace_id"] = $"t{events.Count}", ["model"] = model,
                ["input"] = "帮我写一句问候语", ["output"] = "您好，祝您今天愉快！", ["rating"] = positive ? "up" : "down",
                ["timestamp"] = at.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            };
            if (variant is not null) { e["experiment"] = "greeting"; e["variant"] = variant; }
            events.Add(e);
        }
        // Noon UTC of each past day; day 7 is left out so no rating sits near the week's boundary (now − 7 days).
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        for (var day = 1; day <= 34; day++)
        {
            if (day == 7) continue;
            var at = today.AddDays(-day).AddHours(12);
            var recent = day < 7;
            for (var i = 0; i < 40; i++) Add("dropping", at.AddMinutes(i), random.NextDouble() < (recent ? 0.65 : 0.85));
            for (var i = 0; i < 40; i++) Add("steady", at.AddMinutes(i), random.NextDouble() < 0.80, i % 2 == 0 ? "formal" : "casual");
        }
        using var client = new HttpClient { BaseAddress = app.Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        foreach (var chunk in events.Chunk(1000))
        {
            var response = await client.PostAsync("api/feedback", new StringContent(new JsonArray(chunk.Select(e => (JsonNode)e).ToArray()).ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.OK && body.GetProperty("accepted").GetInt32() == chunk.Length, body.ToString());
        }

        var drift = await app.Client.GetFromJsonAsync<JsonElement>("api/feedback/drift");
        var alerts = drift.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("model").GetString()).ToList();
        Assert.Equal(["dropping"], alerts);
        var models = drift.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("model").GetString()!, m => m.GetProperty("drift"));
        Assert.False(models["steady"].GetProperty("alert").GetBoolean(), models["steady"].ToString());
        Assert.True(models["dropping"].GetProperty("difference").GetDouble() < -10);
        Assert.Equal(0.01, drift.GetProperty("policy").GetProperty("alpha").GetDouble());

        var summary = await app.Client.GetFromJsonAsync<JsonElement>("api/feedback/summary?days=35");
        var steady = summary.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "steady");
        Assert.Equal(33 * 40, steady.GetProperty("satisfaction").GetProperty("n").GetInt32());
        Assert.Equal(33, steady.GetProperty("daily").GetArrayLength());
        Assert.Equal(2, summary.GetProperty("variants").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.GetAsync("api/feedback/summary?days=0")).StatusCode);

        // The page is public: no sign-in.
        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("feedback?days=35");
        await Assertions.Expect(page.Locator("[data-testid=drift-alert]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid=drift-alert]")).ToHaveAttributeAsync("data-model", "dropping");
        await Assertions.Expect(page.Locator("[data-testid=drift-alert]")).ToContainTextAsync("fell from");
        await Assertions.Expect(page.Locator("[data-testid=models-chart]")).ToHaveAttributeAsync("data-chart-ready", "true");
        await Assertions.Expect(page.Locator("[data-testid=variants-chart]")).ToHaveAttributeAsync("data-chart-ready", "true");
        await Assertions.Expect(page.Locator("[data-testid=models] tr[data-model=steady]")).ToContainTextAsync("1320");
        // The band is drawn: the CI series exist in the option with the lower bound below the rate.
        var option = JsonDocument.Parse((await page.Locator("[data-testid=models-chart]").GetAttributeAsync("data-echarts-option"))!).RootElement;
        Assert.Contains(option.GetProperty("series").EnumerateArray(), s => s.GetProperty("name").GetString() == "steady 95% CI" && s.TryGetProperty("areaStyle", out _));
        Assert.DoesNotContain("帮我写一句问候语", await page.ContentAsync());
        await Chromium.ScreenshotAsync(page, "feedback-dashboard");
    }
}
