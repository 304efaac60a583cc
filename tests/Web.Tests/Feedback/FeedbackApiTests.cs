using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Feedback;

/// <summary>The real web process over a fresh database, with keys of each scope stored the way <c>evals keys create</c> stores them.</summary>
public sealed class FeedbackApiFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";
    public string FeedbackKey { get; } = ApiKey.NewKey();
    public string SlowKey { get; } = ApiKey.NewKey();
    public string V1Key { get; } = ApiKey.NewKey();
    public Guid FeedbackKeyId { get; private set; }
    public WebApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync();
        await using (var db = Migrator.CreateContext(ConnectionString))
        {
            var feedback = new ApiKey { Name = "app", Scope = "feedback", Hash = ApiKey.HashOf(FeedbackKey), Prefix = FeedbackKey[..10] };
            db.ApiKeys.Add(feedback);
            db.ApiKeys.Add(new ApiKey { Name = "slow", Scope = "feedback", Hash = ApiKey.HashOf(SlowKey), Prefix = SlowKey[..10], RequestsPerMinute = 3 });
            db.ApiKeys.Add(new ApiKey { Name = "chat", Scope = "v1", Hash = ApiKey.HashOf(V1Key), Prefix = V1Key[..10] });
            await db.SaveChangesAsync();
            FeedbackKeyId = feedback.Id;
        }
        App = await WebApp.StartAsync(ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false" });
        var experiment = await App.AdminClient.PostAsJsonAsync("api/ab/experiments", new
        {
            name = "tone", variants = new[] { new { name = "A", weight = 50.0 }, new { name = "B", weight = 50.0 } }, stopping_rule = "confidence_sequence",
        });
        Assert.Equal(HttpStatusCode.Created, experiment.StatusCode);
    }

    public async Task<HttpResponseMessage> PostAsync(string? key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/feedback") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await App.Client.SendAsync(request);
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public sealed class FeedbackApiTests(FeedbackApiFixture fixture) : IClassFixture<FeedbackApiFixture>
{
    private static JsonObject Event(string id, int i) => new()
    {
        ["event_id"] = id,
        ["trace_id"] = $"trace-{i}",
        ["model"] = i % 2 == 0 ? "qwen-mini" : "glm-small",
        ["input"] = $"第{i}个问题：北京是哪个国家的首都？",
        ["output"] = "北京是中国的首都。",
        ["rating"] = i % 3 == 0 ? JsonValue.Create("down") : i % 3 == 1 ? JsonValue.Create("up") : JsonValue.Create(i % 5 + 1),
        ["tags"] = new JsonArray("geo"),
        ["timestamp"] = "2026-11-20T08:00:00Z",
    };

    /// <summary>Each way an event can be wrong, with the field the 400 must name.</summary>
    private static readonly (string Field, Action<JsonObject> Spoil)[] Spoilers =
    [
        ("rating", e => e["rating"] = 7),
        ("rating", e => e.Remove("rating")),
        ("event_id", e => e.Remove("event_id")),
        ("model", e => e["model"] = 42),
        ("timestamp", e => e["timestamp"] = "yesterday"),
        ("input", e => e["input"] = " "),
        ("tags", e => e["tags"] = "geo"),
        ("ratng", e => e["ratng"] = "up"),
        ("experiment", e => { e["experiment"] = "no-such-experiment"; e["variant"] = "A"; }),
        ("variant", e => { e["experiment"] = "tone"; e["variant"] = "Z"; }),
        ("variant", e => e["experiment"] = "tone"),
    ];

    [Fact]
    public async Task Ten_thousand_events_in_batches_store_exactly_the_valid_distinct_ones()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var random = new Random(8);
        var events = new List<JsonObject>();
        var expectedValid = new HashSet<string>();
        var expectedRejected = new List<(int At, string Field)>();
        var duplicates = 0;
        const int total = 10_000;
        for (var i = 0; i < total; i++)
        {
            var roll = random.NextDouble();
            if (roll < 0.05 && expectedValid.Count > 0)
            {
                // An event id sent before (a client retry): stored once, the first time.
                events.Add(Event(expectedValid.ElementAt(random.Next(expectedValid.Count)), i));
                duplicates++;
            }
            else if (roll < 0.10)
            {
                var e = Event($"{run}-{i}", i);
                var (field, spoil) = Spoilers[i % Spoilers.Length];
                spoil(e);
                events.Add(e);
                expectedRejected.Add((i, field));
            }
            else
            {
                var e = Event($"{run}-{i}", i);
                if (i % 10 == 7) { e["experiment"] = "tone"; e["variant"] = i % 20 == 7 ? "A" : "B"; }
                events.Add(e);
                expectedValid.Add($"{run}-{i}");
            }
        }

        // Large batches go through the COPY staging table, small ones through one INSERT from unnest: both are used.
        var batches = Enumerable.Range(0, 18).Select(b => (Start: b * 500, Size: 500))
            .Concat(Enumerable.Range(0, 40).Select(b => (Start: 9_000 + b * 25, Size: 25))).ToList();
        int accepted = 0, skipped = 0;
        foreach (var (start, size) in batches)
        {
            var b = start;
            var batch = new JsonArray(events.Skip(start).Take(size).Select(e => (JsonNode)e.DeepClone()).ToArray());
            var response = await fixture.PostAsync(fixture.FeedbackKey, batch.ToJsonString());
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
            accepted += body.GetProperty("accepted").GetInt32();
            skipped += body.GetProperty("duplicates").GetInt32();
            var rejected = body.GetProperty("rejected").EnumerateArray().ToList();
            var expected = expectedRejected.Where(r => r.At >= start && r.At < start + size).ToList();
            Assert.Equal(expected.Select(r => r.At - start), rejected.Select(r => r.GetProperty("index").GetInt32()));
            foreach (var (r, x) in rejected.Zip(expected))
                Assert.True(r.GetProperty("errors").TryGetProperty(x.Field, out _), $"batch at {b}, event {x.At}: expected field '{x.Field}' in {r}");
        }

        Assert.Equal(expectedValid.Count, accepted);
        Assert.Equal(duplicates, skipped);
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        var stored = await db.Feedback.Where(f => f.EventId.StartsWith(run + "-")).Select(f => f.EventId).ToListAsync();
        Assert.Equal(expectedValid.Order(), stored.Order());
        var tagged = await db.Feedback.Where(f => f.EventId.StartsWith(run + "-") && f.Variant != null).CountAsync();
        Assert.Equal(expectedValid.Count(id => int.Parse(id[(run.Length + 1)..]) % 10 == 7), tagged);
        Assert.All(await db.Feedback.Where(f => f.EventId.StartsWith(run + "-")).Select(f => f.ApiKeyId).Distinct().ToListAsync(),
            id => Assert.Equal(fixture.FeedbackKeyId, id));
        var stars = await db.Feedback.FirstAsync(f => f.EventId == $"{run}-2" || f.EventId == $"{run}-5");
        Assert.Equal("stars", stars.RatingScale);
        Assert.Equal(stars.Rating >= 4, stars.Positive);
    }

    [Fact]
    public async Task A_batch_with_no_valid_event_is_a_400_naming_each_field_by_index()
    {
        var batch = new JsonArray(
            new JsonObject { ["event_id"] = "x1", ["trace_id"] = "t", ["model"] = "m", ["input"] = "问", ["output"] = "答", ["rating"] = 9 },
            new JsonObject { ["trace_id"] = "t", ["model"] = "m", ["input"] = "问", ["output"] = "答", ["rating"] = "up", ["timestamp"] = "2026-11-23 08:00" },
            JsonValue.Create(3));
        var response = await fixture.PostAsync(fixture.FeedbackKey, batch.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("integer from 1 to 5", errors.GetProperty("[0].rating")[0].GetString());
        Assert.Contains("required", errors.GetProperty("[1].event_id")[0].GetString());
        Assert.Contains("ISO 8601", errors.GetProperty("[1].timestamp")[0].GetString());
        Assert.Contains("JSON object", errors.GetProperty("[2]")[0].GetString());

        var single = await fixture.PostAsync(fixture.FeedbackKey, """{"event_id":"s1","trace_id":"t","model":"m","input":"问","output":"答","rating":"meh"}""");
        Assert.Equal(HttpStatusCode.BadRequest, single.StatusCode);
        Assert.Contains("\"up\" or \"down\"", (await single.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("rating")[0].GetString());

        var notJson = await fixture.PostAsync(fixture.FeedbackKey, "{\"event_id\": ");
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.True((await notJson.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("body", out _));
        Assert.Equal(0, await CountAsync("x1", "s1"));
    }

    [Fact]
    public async Task A_program_posting_with_a_key_gets_no_arena_visitor_cookie()
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = fixture.App.Client.BaseAddress };
        using var post = new HttpRequestMessage(HttpMethod.Post, "api/feedback") { Content = new StringContent(Event($"nocookie-{Guid.NewGuid():N}", 1).ToJsonString(), Encoding.UTF8, "application/json") };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.FeedbackKey);
        var response = await http.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"), string.Join("; ", response.Headers.TryGetValues("Set-Cookie", out var set) ? set : []));
        // A browser's first page view still gets one.
        var page = await http.GetAsync("leaderboard");
        Assert.Contains(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith(Evals.Web.Arena.VisitorCookie.Name + "=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_single_event_is_stored_once_however_often_it_is_sent()
    {
        var id = $"once-{Guid.NewGuid():N}";
        var e = Event(id, 1);
        e["timestamp"] = "2026-11-20T16:00:00+08:00";
        e["experiment"] = "tone";
        e["variant"] = "B";
        e["comment"] = "不错";
        e["tags"] = new JsonArray("geo", "短");
        var body = e.ToJsonString();
        var first = await (await fixture.PostAsync(fixture.FeedbackKey, body)).Content.ReadFromJsonAsync<JsonElement>();
        var again = await (await fixture.PostAsync(fixture.FeedbackKey, body)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, first.GetProperty("accepted").GetInt32());
        Assert.Equal(0, again.GetProperty("accepted").GetInt32());
        Assert.Equal(1, again.GetProperty("duplicates").GetInt32());
        Assert.Equal(1, await CountAsync(id));
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        var stored = await db.Feedback.SingleAsync(f => f.EventId == id);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero), stored.OccurredAt);
        Assert.Equal("B", stored.Variant);
        Assert.Equal(await db.Experiments.Where(x => x.Name == "tone").Select(x => x.Id).SingleAsync(), stored.ExperimentId);
        Assert.Equal(["geo", "短"], stored.Tags);
        Assert.Equal("不错", stored.Comment);
        Assert.True(stored.Positive);
    }

    [Fact]
    public async Task Keys_are_required_of_the_feedback_scope_and_rate_limited_per_key()
    {
        var body = Event($"auth-{Guid.NewGuid():N}", 1).ToJsonString();
        var none = await fixture.PostAsync(null, body);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("Missing API key", (await none.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        var wrong = await fixture.PostAsync(ApiKey.NewKey(), body);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var v1 = await fixture.PostAsync(fixture.V1Key, body);
        Assert.Equal(HttpStatusCode.Forbidden, v1.StatusCode);
        Assert.Contains("scope is 'v1'", (await v1.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        // The slow key allows 3 requests a minute: a burst of 6 gets 3 through and 3 answered 429 with Retry-After. Windows
        // are whole clock minutes, so the burst starts early enough in one not to cross into the next.
        var second = TimeProvider.System.GetUtcNow().Second;
        if (second >= 50) await Task.Delay(TimeSpan.FromSeconds(61 - second));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6; i++)
        {
            var response = await fixture.PostAsync(fixture.SlowKey, Event($"burst-{Guid.NewGuid():N}", i).ToJsonString());
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.NotNull(limited!.Headers.RetryAfter);
        Assert.Contains("rate limit", (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        // Another key is unaffected.
        Assert.Equal(HttpStatusCode.OK, (await fixture.PostAsync(fixture.FeedbackKey, Event($"other-{Guid.NewGuid():N}", 1).ToJsonString())).StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_a_413_and_stores_nothing()
    {
        var id = $"big-{Guid.NewGuid():N}";
        var e = Event(id, 1);
        e["comment"] = new string('长', 3000);
        var batch = new JsonArray(Enumerable.Range(0, 600).Select(i => { var c = (JsonObject)e.DeepClone(); c["event_id"] = $"{id}-{i}"; return (JsonNode)c; }).ToArray());
        var response = await fixture.PostAsync(fixture.FeedbackKey, batch.ToJsonString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        Assert.False(await db.Feedback.AnyAsync(f => f.EventId.StartsWith(id)));
    }

    private async Task<int> CountAsync(params string[] ids)
    {
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        return await db.Feedback.CountAsync(f => ids.Contains(f.EventId));
    }
}
