using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Feedback;

/// <summary>
/// Issue 17, test 3 (feedback part): a key's requests per minute are counted once for all web nodes on a database, and a
/// key revoked while both nodes remember it (they skip the lookup for keys they have seen) is refused at once by both.
/// </summary>
public sealed class FeedbackLimitAcrossNodesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_keys_rate_is_spent_by_requests_to_either_node_and_refusals_store_nothing()
    {
        var key = await CreateKeyAsync(database.ConnectionString, requestsPerMinute: 4);
        var settings = new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false" };
        await using var a = await WebApp.StartAsync(database.ConnectionString, settings);
        await using var b = await WebApp.StartAsync(database.ConnectionString, settings);

        await AssertFourOfSixPassAsync(database.ConnectionString, key, "direct", [("A", a.Client), ("B", b.Client)]);
    }

    internal static async Task<string> CreateKeyAsync(string connectionString, int requestsPerMinute)
    {
        var key = ApiKey.NewKey();
        await using var db = Migrator.CreateContext(connectionString);
        db.ApiKeys.Add(new ApiKey { Name = $"shared-{Guid.NewGuid():N}", Scope = "feedback", Hash = ApiKey.HashOf(key), Prefix = key[..10], RequestsPerMinute = requestsPerMinute });
        await db.SaveChangesAsync();
        return key;
    }

    /// <summary>
    /// Six single-event posts with a key allowed four a minute, alternating between <paramref name="nodes"/>: the first
    /// four are stored, the last two refused with Retry-After and stored nowhere. Each node alone would pass its three.
    /// </summary>
    internal static async Task AssertFourOfSixPassAsync(string connectionString, string key, string prefix, (string Name, HttpClient Client)[] nodes)
    {
        // Windows are whole clock minutes: start the burst early enough in one that it cannot cross into the next.
        var second = TimeProvider.System.GetUtcNow().Second;
        if (second >= 50) await Task.Delay(TimeSpan.FromSeconds(61 - second));
        var sent = new List<(string Node, string EventId, HttpStatusCode Status, HttpResponseMessage Response)>();
        for (var i = 0; i < 6; i++)
        {
            var (name, client) = nodes[i % nodes.Length];
            var eventId = $"{prefix}-{name}-{Guid.NewGuid():N}";
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/feedback")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { event_id = eventId, trace_id = "t", model = "m", input = "问", output = "答", rating = "up" }),
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var response = await client.SendAsync(request);
            sent.Add((name, eventId, response.StatusCode, response));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            sent.Select(s => s.Status).ToArray());
        foreach (var refused in sent.Skip(4))
        {
            var retryAfter = refused.Response.Headers.RetryAfter?.Delta;
            Assert.True(retryAfter is { TotalSeconds: >= 1 and <= 60 }, $"node {refused.Node}: Retry-After {retryAfter}");
            Assert.Contains("rate limit", (await refused.Response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
        await using var check = Migrator.CreateContext(connectionString);
        var stored = await check.Feedback.Where(f => f.EventId.StartsWith(prefix + "-")).Select(f => f.EventId).ToListAsync();
        Assert.Equal(sent.Take(4).Select(s => s.EventId).Order(), stored.Order());
    }

    [Fact]
    public async Task A_key_revoked_while_both_nodes_remember_it_is_refused_at_once_and_stores_nothing()
    {
        var key = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "revoked-later", Scope = "feedback", Hash = ApiKey.HashOf(key), Prefix = key[..10] });
            await db.SaveChangesAsync();
        }
        var settings = new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false" };
        await using var a = await WebApp.StartAsync(database.ConnectionString, settings);
        await using var b = await WebApp.StartAsync(database.ConnectionString, settings);
        async Task<HttpResponseMessage> PostAsync(WebApp node, string eventId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/feedback")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { event_id = eventId, trace_id = "t", model = "m", input = "问", output = "答", rating = "up" }),
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return await node.Client.SendAsync(request);
        }

        // Each node has now seen the key active.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(a, "before-A")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(b, "before-B")).StatusCode);
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            await db.ApiKeys.Where(k => k.Name == "revoked-later").ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UnixEpoch));

        // The first request after the revocation is refused by each node (the group commit's check), and so is the next (looked up again).
        foreach (var (node, eventId) in new[] { (a, "after-A1"), (b, "after-B1"), (a, "after-A2"), (b, "after-B2") })
        {
            var response = await PostAsync(node, eventId);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("Incorrect API key", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
        await using var check = Migrator.CreateContext(database.ConnectionString);
        var keyId = await check.ApiKeys.Where(k => k.Name == "revoked-later").Select(k => k.Id).SingleAsync();
        Assert.Equal(["before-A", "before-B"], (await check.Feedback.Where(f => f.ApiKeyId == keyId).Select(f => f.EventId).ToListAsync()).Order());
    }
}
