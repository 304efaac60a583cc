using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Evals.Web.Tests.Hardening;

/// <summary>
/// Issue 18, the fuzz drill: 10,000 generated requests (random and boundary values: NUL and other control characters,
/// lone surrogates, 1 MB strings, huge and negative numbers, wrong JSON types, deep nesting, unknown fields) over every
/// public HTTP endpoint of the web process on loopback: the runs, leaderboard, feedback, A/B and arena APIs, /v1 with
/// its key, the admin endpoints and pages with no credentials, a Bearer admin key and an admin session, and the pages.
/// Zero 5xx, no unhandled exception in its log, and the database changes only by what was accepted: runs, results,
/// votes, battles and feedback events are counted before and after. The generator is seeded (EVALS_FUZZ_SEED, default
/// 18) and the seed is printed, so a failure reproduces.
/// </summary>
public sealed class FuzzDrillTests(HardeningFixture fixture, ITestOutputHelper output) : IClassFixture<HardeningFixture>
{
    private const int Requests = 10_000;
    /// <summary>Kestrel's request-line limit: a longer URL is refused (414) and the connection may close while it is still being sent.</summary>
    private const int MaxRequestLine = 8 * 1024;
    private static readonly string Megabyte = new('x', 1 << 20);
    private static readonly string MegabyteJson = "\"" + new string('长', 1 << 20) + "\"";

    private static readonly string[] Texts =
    [
        "", " ", "\u0000", "a\u0000b", "\ud800", "\udc00x", "\t\r\n\u001f\u007f", "smoke", "clue/afqmc", "北京", "'; DROP TABLE runs; --", "%00", "%ZZ",
        "<script>alert(1)</script>", "../../etc/passwd", new string('长', 3000), "9999-12-31", "0001-01-01", "2026-13-45", "-1", "0", "2147483647",
        "2147483648", "-2147483649", "99999999999999999999999", "1e308", "NaN", "true", "null", "desc", "asc", "task:", "cap:x", "00000000-0000-0000-0000-000000000000",
        "//evil.example", "/%09/evil.example", "alpha",
    ];

    private static readonly string[] JsonValues =
    [
        "null", "true", "0", "-1", "1e400", "2147483648", "-9223372036854775809", "\"\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udc00\\ud800\"",
        "\"up\"", "\"down\"", "5", "[]", "{}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "\"2026-11-20T08:00:00Z\"", "\"北京\"", "{\"x\":1}", "[\"geo\"]", "\"\\u0001\\u001f\"", "\"alpha\"", "1.5", "-1e308",
        new string('[', 5000) + new string(']', 5000), "[{\"role\":\"user\",\"content\":\"你好\"}]", "[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]",
        "[{\"role\":5,\"content\":[]}]", "[{\"role\":\"wizard\",\"content\":\"x\"}]",
    ];

    private static readonly string[] EventFields = ["event_id", "trace_id", "model", "experiment", "variant", "input", "output", "rating", "tags", "comment", "timestamp", "ratng", "\\u0000"];

    private static readonly string[] Pages =
    [
        "", "runs", "leaderboard", "experiments", "arena", "arena/ratings", "feedback", "admin/signin", "healthz", "charts.js",
    ];

    private static readonly string[] AdminPages = ["admin", "admin/arena", "admin/models", "admin/keys", "admin/runs/new", "feedback/traces"];

    private enum Caller { Anonymous, AdminKey, AdminSession }

    [Fact]
    public async Task Ten_thousand_generated_requests_get_no_5xx_and_change_only_what_they_were_allowed_to()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("EVALS_FUZZ_SEED"), out var chosen) ? chosen : 18;
        output.WriteLine($"fuzz drill seed {seed} (set EVALS_FUZZ_SEED to repeat it)");
        var before = await CountsAsync();
        var session = await fixture.App.AdminSessionAsync();
        var random = new Random(seed);
        var requests = Enumerable.Range(0, Requests).Select(_ => Generate(random, session)).ToList();
        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var accepted = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8, UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = fixture.App.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(60),
        };

        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (make, ct) =>
        {
            using var request = make();
            var uri = request.RequestUri?.ToString() ?? "";
            var describe = $"{request.Method} {uri[..Math.Min(uri.Length, 200)]}";
            try
            {
                using var response = await client.SendAsync(request, ct);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                var body = await response.Content.ReadAsStringAsync(ct);
                if ((int)response.StatusCode >= 500) failures.Add($"{(int)response.StatusCode} {describe}: {body}");
                if (response.IsSuccessStatusCode) Account(request, body, accepted);
            }
            catch (HttpRequestException) when (uri.Length > MaxRequestLine)
            {
                statuses.AddOrUpdate(0, 1, (_, n) => n + 1); // refused before an answer could be read: no 5xx, nothing done
            }
            catch (HttpRequestException e)
            {
                failures.Add($"{describe}: {e.Message}");
            }
        });
        var elapsed = clock.Elapsed;
        var summary = $"seed {seed}, {elapsed.TotalSeconds:0.0} s; statuses (0: connection closed on an over-long URL): {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; accepted: {string.Join(", ", accepted.Select(a => $"{a.Key} {a.Value}"))}";
        output.WriteLine(summary);

        Assert.True(failures.IsEmpty, $"{summary}\n{failures.Count} failures, e.g.\n{string.Join("\n", failures.Take(10).Select(f => f[..Math.Min(f.Length, 600)]))}");
        var log = fixture.App.Output;
        var unhandled = log.IndexOf("unhandled exception", StringComparison.OrdinalIgnoreCase);
        Assert.True(unhandled < 0, $"{summary}\n{log[Math.Max(0, unhandled - 200)..Math.Min(log.Length, unhandled + 1500)]}");
        var after = await CountsAsync();
        Assert.Equal(before with
        {
            Runs = before.Runs + accepted.GetValueOrDefault("runs"),
            Battles = before.Battles + accepted.GetValueOrDefault("battles"),
            Votes = before.Votes + accepted.GetValueOrDefault("votes"),
            Feedback = before.Feedback + accepted.GetValueOrDefault("feedback"),
        }, after);
        Assert.True(statuses.Keys.Count(s => s is >= 200 and < 300) > 0 && statuses.ContainsKey(400) && statuses.ContainsKey(401), summary);
        Assert.True(elapsed < TimeSpan.FromSeconds(120), summary);
    }

    /// <summary>What an accepted request added: the rows each kind of success stands for.</summary>
    private static void Account(HttpRequestMessage request, string body, ConcurrentDictionary<string, int> accepted)
    {
        if (request.Method != HttpMethod.Post) return;
        // HttpClient made the address absolute when it sent the request.
        var path = request.RequestUri!.AbsolutePath.TrimStart('/');
        if (path == "api/feedback")
            accepted.AddOrUpdate("feedback", Accepted(body), (_, n) => n + Accepted(body));
        else if (path == "api/runs" || path.EndsWith("/rescore", StringComparison.Ordinal))
            accepted.AddOrUpdate("runs", 1, (_, n) => n + 1);
        else if (path == "api/arena/battles")
            accepted.AddOrUpdate("battles", 1, (_, n) => n + 1);
        else if (path.EndsWith("/vote", StringComparison.Ordinal))
            accepted.AddOrUpdate("votes", 1, (_, n) => n + 1);

        static int Accepted(string body) => JsonDocument.Parse(body).RootElement.GetProperty("accepted").GetInt32();
    }

    private sealed record Counts(int Runs, int Results, int Votes, int Battles, int Feedback);

    private async Task<Counts> CountsAsync()
    {
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        return new Counts(await db.Runs.CountAsync(), await db.Results.CountAsync(), await db.ArenaVotes.CountAsync(), await db.ArenaBattles.CountAsync(),
            await db.Feedback.CountAsync());
    }

    private Func<HttpRequestMessage> Generate(Random random, string session)
    {
        // Rare on purpose: a 1 MB value costs a few megabytes on the wire each time.
        string T() => random.Next(400) == 0 ? Megabyte : Texts[random.Next(Texts.Length)];
        string Q() => Uri.EscapeDataString(random.Next(2000) == 0 ? Megabyte : Texts[random.Next(Texts.Length)]);
        string J() => random.Next(300) == 0 ? MegabyteJson : JsonValues[random.Next(JsonValues.Length)];
        string Unknown() => random.Next(2) == 0 ? "" : $",\"{Pick(random, EventFields)}\":{J()}";
        var caller = (Caller)random.Next(3);
        var guid = random.Next(4) == 0 ? "00000000-0000-0000-0000-000000000001" : Guid.NewGuid().ToString();
        switch (random.Next(24))
        {
            case 0: return Get($"api/runs?take={Q()}");
            case 1: return Get($"api/runs/{guid}/results?page={Q()}&filter={Q()}&task={Q()}", caller, session);
            case 2: return Get($"api/runs/compare?a={Q()}&b={Q()}", caller, session);
            case 3: return Get($"api/leaderboard?suite={Q()}&family={Q()}&from={Q()}&to={Q()}&sort={Q()}&dir={Q()}&current={Q()}");
            case 4: return Get(random.Next(2) == 0 ? $"api/feedback/summary?days={Q()}" : $"api/feedback/drift?{Q()}={Q()}");
            case 5: return Get($"api/ab/experiments/{Q()}");
            case 6: return Get($"api/runs/{guid}?{Q()}={Q()}", caller, session);
            case 7: return Post("api/arena/battles", random.Next(3) == 0 ? J() : $"{{\"prompt\":{J()}{Unknown()}}}");
            case 8: return Post($"api/arena/battles/{guid}/vote", $"{{\"winner\":{J()}{Unknown()}}}");
            case 9: return Post("api/ab/assign", $"{{\"experiment\":{J()},\"user_id\":{J()}{Unknown()}}}");
            case 10: return Get(random.Next(2) == 0 ? $"api/arena/battles/{guid}" : "api/arena/ratings");
            case 11:
            case 12:
                var v1Key = random.Next(5) switch { 0 => null, 1 => fixture.FeedbackKey, 2 => Pick(random, ["evals_", "evals_nonsense", "' OR 1=1 --", "%00"]), _ => fixture.V1Key };
                var v1Body = random.Next(2) == 0
                    ? $"{{\"model\":{J()},\"messages\":{J()},\"max_tokens\":{J()},\"temperature\":{J()},\"stream\":{J()}{Unknown()}}}"
                    : $"{{\"model\":\"alpha\",\"messages\":[{{\"role\":\"user\",\"content\":{J()}}}],\"max_tokens\":{J()},\"stop\":{J()},\"seed\":{J()}{Unknown()}}}";
                return random.Next(6) switch
                {
                    0 => Post("v1/completions", $"{{\"model\":{J()},\"prompt\":{J()},\"echo\":{J()},\"logprobs\":{J()},\"max_tokens\":{J()}{Unknown()}}}", v1Key),
                    1 => Get(random.Next(2) == 0 ? "v1/models" : $"v1/models/{Q()}", v1Key),
                    _ => Post("v1/chat/completions", v1Body, v1Key),
                };
            case 13: return Post("api/runs", $"{{\"model\":{J()},\"suite\":{J()},\"limit\":{J()},\"shots\":{J()},\"mode\":{J()},\"seed\":{J()}{Unknown()}}}", caller, session);
            case 14: return Post($"api/runs/{guid}/{Pick(random, ["cancel", "retry", "rescore"])}", random.Next(2) == 0 ? "" : J(), caller, session);
            case 15: return Post("api/ab/experiments", $"{{\"name\":{J()},\"variants\":{J()},\"weights\":{J()}{Unknown()}}}", caller, session);
            case 16:
                return Form(random.Next(2) == 0 ? "admin/signin" : "admin/feedback/promote",
                    new Dictionary<string, string> { ["key"] = T(), ["return_url"] = T(), ["suite"] = T(), ["selected"] = T(), [T()] = T() }, caller, session);
            case 17:
            case 18: return Get($"{Pick(random, AdminPages)}?{Q()}={Q()}", caller, session);
            case 19: return Get($"{Pick(random, Pages)}?{Q()}={Q()}");
            case 20:
                return Get(random.Next(3) switch
                {
                    0 => $"runs/{guid}",
                    1 => $"runs/compare?a={Q()}&b={Q()}&task={Q()}",
                    _ => random.Next(2) == 0 ? $"experiments/offline/{guid}" : $"experiments/online/{Q()}",
                }, caller, session);
            case 21: return Get($"leaderboard?suite={Q()}&from={Q()}&to={Q()}&sort={Q()}");
            default:
                var fields = Enumerable.Range(0, random.Next(1, 8)).Select(_ => $"\"{Pick(random, EventFields)}\":{J()}").Distinct();
                var one = $"{{{string.Join(",", fields)}}}";
                var feedbackKey = random.Next(8) == 0 ? fixture.V1Key : fixture.FeedbackKey;
                return Post("api/feedback", random.Next(3) == 0 ? $"[{one},{one}]" : random.Next(10) == 0 ? J() : one, feedbackKey);
        }
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private Func<HttpRequestMessage> Get(string url, Caller caller = Caller.Anonymous, string? session = null) => () => As(new HttpRequestMessage(HttpMethod.Get, url), caller, session);

    private Func<HttpRequestMessage> Get(string url, string? key) => () => WithKey(new HttpRequestMessage(HttpMethod.Get, url), key);

    private Func<HttpRequestMessage> Post(string url, string body, Caller caller = Caller.Anonymous, string? session = null) => () =>
        As(new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") }, caller, session);

    private static Func<HttpRequestMessage> Post(string url, string body, string? key) => () =>
        WithKey(new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") }, key);

    private Func<HttpRequestMessage> Form(string url, Dictionary<string, string> fields, Caller caller, string session) => () =>
        As(new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) }, caller, session);

    private HttpRequestMessage As(HttpRequestMessage request, Caller caller, string? session)
    {
        if (caller == Caller.AdminKey) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.App.AdminKey);
        if (caller == Caller.AdminSession && session is not null) request.Headers.Add("Cookie", session);
        return request;
    }

    private static HttpRequestMessage WithKey(HttpRequestMessage request, string? key)
    {
        if (key is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        return request;
    }
}
