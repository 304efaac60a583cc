using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Arena;

/// <summary>
/// Issue 15, test 4: abuse over HTTP against two web nodes on one database. Node A believes X-Forwarded-For from this
/// test (its configured proxy is 127.0.0.1); node B's configured proxies are 10.0.0.0/8, so it ignores the header and
/// sees 127.0.0.1 whatever the header says. Cookie-less battles and votes are refused; the per-address, per-network,
/// identical-prompt and site-wide generation limits and the daily vote cap bind across both nodes; a refused request
/// stores nothing and costs no limit anything.
/// </summary>
public sealed class ArenaAbuseAcrossNodesTests(DatabaseFixture database, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    internal static readonly Dictionary<string, string> Limits = new()
    {
        ["Evals__SeedSmokeRuns"] = "false",
        ["Arena__RatingsIntervalSeconds"] = "3600",
        // A day: fixed windows that do not end while the test runs (unless it runs across midnight UTC).
        ["Arena__RateLimitWindowSeconds"] = "86400",
        ["Arena__BattlesPerMinutePerVisitor"] = "50",
        ["Arena__BattlesPerMinutePerIp"] = "2",
        ["Arena__BattlesPerMinutePerNetwork"] = "3",
        ["Arena__GenerationsPerMinute"] = "12",
        ["Arena__IdenticalPromptsPerWindow"] = "2",
        ["Arena__IdenticalPromptWindowSeconds"] = "86400",
        ["Arena__VotesPerDayPerVisitor"] = "2",
    };

    private sealed class Visitor : IDisposable
    {
        private readonly CookieContainer _cookies = new();
        private readonly Dictionary<Uri, HttpClient> _clients = [];

        public HttpClient On(WebApp node)
        {
            var address = node.Client.BaseAddress!;
            if (!_clients.TryGetValue(address, out var client))
                _clients[address] = client = new HttpClient(new HttpClientHandler { CookieContainer = _cookies }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            return client;
        }

        /// <summary>The cookie comes on a response of node A; cookies do not depend on the port, so node B gets it too.</summary>
        public async Task<Visitor> WithCookieAsync(WebApp node)
        {
            (await On(node).GetAsync("api/arena/visitor")).EnsureSuccessStatusCode();
            return this;
        }

        public void Dispose()
        {
            foreach (var client in _clients.Values) client.Dispose();
        }
    }

    internal static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(HttpClient client, string path, object body, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement, response);
    }

    internal static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> BattleAsync(HttpClient client, string prompt, string? forwardedFor = null) =>
        PostAsync(client, "api/arena/battles", new { prompt }, forwardedFor);

    internal static Guid Created((HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response) r)
    {
        Assert.True(r.Status == HttpStatusCode.Created, r.Body.ToString());
        return r.Body.GetProperty("id").GetGuid();
    }

    internal static void Refused((HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response) r, string limit, string detail)
    {
        Assert.True(r.Status == HttpStatusCode.TooManyRequests, $"expected 429 {limit}, got {(int)r.Status}: {r.Body}");
        Assert.Equal(limit, r.Body.GetProperty("limit").GetString());
        Assert.Contains(detail, r.Body.GetProperty("detail").GetString());
        Assert.True(r.Response.Headers.RetryAfter?.Delta is { } wait && wait > TimeSpan.Zero && wait <= TimeSpan.FromDays(1), $"Retry-After: {r.Response.Headers.RetryAfter}");
        Assert.Equal(r.Response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, r.Body.GetProperty("retry_after_seconds").GetInt32());
    }

    [Fact]
    public async Task Battles_and_votes_are_limited_across_two_nodes_and_a_refused_request_stores_nothing()
    {
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Name = "alpha", Kind = "baseline", Spec = "baseline:say?text=%E7%94%B2" });
            db.Models.Add(new Model { Name = "beta", Kind = "baseline", Spec = "baseline:say?text=%E4%B9%99" });
            await db.SaveChangesAsync();
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var nodes = await WebApp.StartNodesAsync(database.ConnectionString,
            new Dictionary<string, string>(Limits) { ["ForwardedHeaders__KnownProxies__0"] = "127.0.0.1" },
            new Dictionary<string, string>(Limits) { ["ForwardedHeaders__KnownNetworks__0"] = "10.0.0.0/8" });
        await using var a = nodes[0];
        await using var b = nodes[1];
        var startup = clock.Elapsed;

        // 1. No cookie, no battle and no vote, on either node; the refusal says why.
        foreach (var node in new[] { a, b })
        {
            var (status, body, _) = await BattleAsync(node.Client, "没有 cookie 的请求");
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("No visitor cookie", body.GetProperty("detail").GetString());
        }

        // 2. Per address across nodes: one battle through each node from 127.0.0.1, then the address is full on both;
        //    node B ignores the forwarded address it was sent, as its configured proxy is not this client.
        using var v1 = await new Visitor().WithCookieAsync(a);
        using var v2 = await new Visitor().WithCookieAsync(a);
        using var v3 = await new Visitor().WithCookieAsync(b);
        Created(await BattleAsync(v1.On(b), "第一题：一加一等于几？"));
        Created(await BattleAsync(v2.On(a), "第二题：二加二等于几？", "127.0.0.1"));
        Refused(await BattleAsync(v3.On(a), "第三题：三加三等于几？", "127.0.0.1"), "battles_per_ip", "from this IP address: at most 2");
        Refused(await BattleAsync(v3.On(b), "第三题：三加三等于几？", "198.51.100.9"), "battles_per_ip", "from this IP address: at most 2");

        // 3. Per network: another address of 127.0.0.0/24 gets the network's third battle (so the refusals above cost
        //    the network nothing), and a fourth address of that network is refused.
        Created(await BattleAsync(v3.On(a), "第三题：三加三等于几？", "127.0.0.9"));
        using var v4 = await new Visitor().WithCookieAsync(a);
        Refused(await BattleAsync(v4.On(a), "第四题：四加四等于几？", "127.0.0.10"), "battles_per_network", "(127.0.0.0/24): at most 3");

        // 4. Identical prompts from anywhere: two spellings of one prompt pass, the third is refused.
        using var voter = await new Visitor().WithCookieAsync(a);
        var first = Created(await BattleAsync(voter.On(a), "同一个问题：天空为什么是蓝色的？", "198.51.100.7"));
        var second = Created(await BattleAsync(voter.On(a), "  同一个问题：天空为什么是蓝色的？ ", "203.0.113.5"));
        Refused(await BattleAsync(voter.On(a), "同一个问题:天空为什么是蓝色的?", "192.0.2.77"), "identical_prompts", "at most 2 times");

        // 5. The site's generation budget (12 answers, 6 battles) spans both nodes: node A has started 5 battles, B 1.
        using var v5 = await new Visitor().WithCookieAsync(a);
        Created(await BattleAsync(v5.On(a), "第五题：五加五等于几？", "192.0.2.77"));
        Refused(await BattleAsync(v5.On(a), "第六题：六加六等于几？", "100.64.0.1"), "generations_per_minute", "at most 12 answers");

        // 6. Votes: none without the cookie; the daily cap counts attempts on both nodes.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            await Poll.UntilAsync(async () => await db.ArenaBattles.CountAsync(x => (x.Id == first || x.Id == second) && x.AnswerAFinishedAt != null && x.AnswerBFinishedAt != null) == 2,
                TimeSpan.FromSeconds(30), "both of the voter's battles to finish", () => a.Output);
        var (cookieless, _, _) = await PostAsync(a.Client, $"api/arena/battles/{first}/vote", new { winner = "model_a" });
        Assert.Equal(HttpStatusCode.Forbidden, cookieless);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(voter.On(a), $"api/arena/battles/{first}/vote", new { winner = "model_a" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(voter.On(b), $"api/arena/battles/{second}/vote", new { winner = "tie" })).Status);
        Refused(await PostAsync(voter.On(b), $"api/arena/battles/{first}/vote", new { winner = "model_b" }), "votes_per_day", "today: at most 2");

        // Nothing stored for any refused request: the six accepted battles and two accepted votes, no more.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            Assert.Equal(6, await db.ArenaBattles.CountAsync());
            Assert.False(await db.ArenaBattles.AnyAsync(x => x.Prompt.Contains("没有 cookie") || x.Prompt.StartsWith("第四题") || x.Prompt.StartsWith("第六题")));
            Assert.Equal(2, await db.ArenaBattles.CountAsync(x => x.Prompt.Contains("同一个问题")));
            var votes = await db.ArenaVotes.OrderBy(v => v.VotedAt).Select(v => new { v.BattleId, v.Winner }).ToListAsync();
            Assert.Equal(new[] { (first, "model_a"), (second, "tie") }, votes.Select(v => (v.BattleId, v.Winner)));
        }
        output.WriteLine($"two nodes started in {startup.TotalSeconds:0.0} s; the requests and checks took {(clock.Elapsed - startup).TotalSeconds:0.0} s");
    }
}
