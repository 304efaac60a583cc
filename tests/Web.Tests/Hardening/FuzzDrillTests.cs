using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Hardening;

/// <summary>
/// Issue 18, the fuzz drill: 10,000 generated requests (random and boundary values: NUL and other control characters,
/// lone surrogates, long strings, huge and negative numbers, wrong JSON types, deep nesting, unknown fields) over the
/// public HTTP endpoints of the web process on loopback. Zero 5xx, no unhandled exception in its log, and refused
/// requests change nothing: runs, results and votes stay as they were.
/// </summary>
public sealed class FuzzDrillTests(HardeningFixture fixture) : IClassFixture<HardeningFixture>
{
    private const int Requests = 10_000;

    private static readonly string[] Texts =
    [
        "", " ", "\u0000", "a\u0000b", "\ud800", "\udc00x", "\t\r\n\u001f\u007f", "smoke", "clue/afqmc", "北京", "'; DROP TABLE runs; --", "%00", "%ZZ",
        "<script>alert(1)</script>", "../../etc/passwd", new string('长', 3000), "9999-12-31", "0001-01-01", "2026-13-45", "-1", "0", "2147483647",
        "2147483648", "-2147483649", "99999999999999999999999", "1e308", "NaN", "true", "null", "desc", "asc", "task:", "cap:x", "00000000-0000-0000-0000-000000000000",
    ];

    private static readonly string[] JsonValues =
    [
        "null", "true", "0", "-1", "1e400", "2147483648", "-9223372036854775809", "\"\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udc00\\ud800\"",
        "\"up\"", "\"down\"", "5", "[]", "{}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "\"2026-11-20T08:00:00Z\"", "\"北京\"", "{\"x\":1}", "[\"geo\"]",
    ];

    private static readonly string[] EventFields = ["event_id", "trace_id", "model", "experiment", "variant", "input", "output", "rating", "tags", "comment", "timestamp", "ratng", "\\u0000"];

    [Fact]
    public async Task Ten_thousand_generated_requests_get_no_5xx_and_change_nothing_they_refuse()
    {
        var (runs, results, votes) = await CountsAsync();
        var random = new Random(18);
        var requests = Enumerable.Range(0, Requests).Select(_ => Generate(random)).ToList();
        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var clock = Stopwatch.StartNew();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = fixture.App.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (make, ct) =>
        {
            using var request = make();
            var describe = $"{request.Method} {request.RequestUri}";
            try
            {
                using var response = await client.SendAsync(request, ct);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                if ((int)response.StatusCode >= 500) failures.Add($"{(int)response.StatusCode} {describe}: {await response.Content.ReadAsStringAsync(ct)}");
            }
            catch (HttpRequestException e)
            {
                failures.Add($"{describe}: {e.Message}");
            }
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} failures, e.g.\n{string.Join("\n", failures.Take(10).Select(f => f[..Math.Min(f.Length, 600)]))}");
        var log = fixture.App.Output;
        var unhandled = log.IndexOf("unhandled exception", StringComparison.OrdinalIgnoreCase);
        Assert.True(unhandled < 0, log[Math.Max(0, unhandled - 200)..Math.Min(log.Length, unhandled + 1500)]);
        Assert.Equal((runs, results, votes), await CountsAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the drill took {clock.Elapsed}; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
    }

    private async Task<(int Runs, int Results, int Votes)> CountsAsync()
    {
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        return (await db.Runs.CountAsync(), await db.Results.CountAsync(), await db.ArenaVotes.CountAsync());
    }

    private Func<HttpRequestMessage> Generate(Random random)
    {
        string T() => Texts[random.Next(Texts.Length)];
        string Q() => Uri.EscapeDataString(T());
        string J() => JsonValues[random.Next(JsonValues.Length)];
        var guid = random.Next(4) == 0 ? "00000000-0000-0000-0000-000000000001" : Guid.NewGuid().ToString();
        switch (random.Next(12))
        {
            case 0: return Get($"api/runs?take={Q()}");
            case 1: return Get($"api/runs/{guid}/results?page={Q()}&filter={Q()}&task={Q()}");
            case 2: return Get($"api/runs/compare?a={Q()}&b={Q()}");
            case 3: return Get($"api/leaderboard?suite={Q()}&family={Q()}&from={Q()}&to={Q()}&sort={Q()}&dir={Q()}&current={Q()}");
            case 4: return Get($"api/feedback/summary?days={Q()}");
            case 5: return Get($"api/ab/experiments/{Q()}");
            case 6: return Get($"api/runs/{guid}?{Q()}={Q()}");
            case 7: return Post("api/arena/battles", random.Next(3) == 0 ? J() : $"{{\"prompt\":{J()},\"{Pick(random, EventFields)}\":{J()}}}", null);
            case 8: return Post($"api/arena/battles/{guid}/vote", $"{{\"winner\":{J()}}}", null);
            case 9: return Post("api/ab/assign", $"{{\"experiment\":{J()},\"user_id\":{J()},\"extra\":{J()}}}", null);
            default:
                var fields = Enumerable.Range(0, random.Next(1, 8)).Select(_ => $"\"{Pick(random, EventFields)}\":{J()}").Distinct();
                var one = $"{{{string.Join(",", fields)}}}";
                return Post("api/feedback", random.Next(3) == 0 ? $"[{one},{one}]" : random.Next(10) == 0 ? J() : one, fixture.FeedbackKey);
        }
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static Func<HttpRequestMessage> Get(string url) => () => new HttpRequestMessage(HttpMethod.Get, url);

    private static Func<HttpRequestMessage> Post(string url, string body, string? key) => () =>
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    };
}
