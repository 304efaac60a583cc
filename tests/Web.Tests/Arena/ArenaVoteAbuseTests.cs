using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Arena;

/// <summary>
/// Vote rules against the real web process over HTTP (the page calls the same <c>ArenaVoting</c>): a vote before the
/// answers finish, a second vote, a vote from another session or with no session, bursts over the per-visitor and
/// per-IP limits — each refused with a message and nothing stored — and a battle whose answer names a model (我是通义千问),
/// kept but left out of the ratings.
/// </summary>
public sealed class ArenaVoteAbuseTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static string Say(string text, int tokenMs) => $"baseline:say?text={Uri.EscapeDataString(text)}&token_ms={tokenMs}";

    private async Task SetSpecsAsync(string alpha, string beta)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        await db.Models.Where(m => m.Name == "alpha").ExecuteUpdateAsync(s => s.SetProperty(m => m.Spec, alpha));
        await db.Models.Where(m => m.Name == "beta").ExecuteUpdateAsync(s => s.SetProperty(m => m.Spec, beta));
    }

    private async Task<int> VotesOnAsync(Guid battle)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.ArenaVotes.CountAsync(v => v.BattleId == battle);
    }

    [Fact]
    public async Task Abusive_votes_are_refused_with_a_reason_and_never_counted_and_a_self_named_model_is_left_out()
    {
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Name = "alpha", Kind = "baseline", Spec = Say("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。", 150) });
            db.Models.Add(new Model { Name = "beta", Kind = "baseline", Spec = Say("床前明月光，疑是地上霜。举头望明月，低头思故乡。", 150) });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Arena__VotesPerMinutePerVisitor"] = "4",
            ["Arena__VotesPerMinutePerIp"] = "10",
            ["Arena__RateLimitWindowSeconds"] = "3600",
            ["Arena__RatingsIntervalSeconds"] = "1",
            ["Arena__BootstrapRounds"] = "50",
        });
        var baseAddress = app.Client.BaseAddress!;

        using var empty = new ArenaVisitor(baseAddress);
        await empty.EnsureCookieAsync();
        var blank = await empty.Client.PostAsJsonAsync("api/arena/battles", new { prompt = "  " });
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.True((await blank.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("prompt", out _));

        // 1. A vote while the answers are still streaming is refused; once both finished it is accepted, once.
        using var first = new ArenaVisitor(baseAddress);
        var battle = await first.StartBattleAsync("写一首五言绝句。");
        var (early, earlyBody) = await first.VoteAsync(battle, "model_a");                             // ip 1
        Assert.Equal(HttpStatusCode.Conflict, early);
        Assert.Contains("still being written", earlyBody.GetProperty("detail").GetString());
        Assert.Equal(0, await VotesOnAsync(battle));
        var finished = await first.WaitFinishedAsync(battle, () => app.Output);
        Assert.Equal(JsonValueKind.Null, finished.GetProperty("model_a").ValueKind); // no names before the vote
        var (accepted, acceptedBody) = await first.VoteAsync(battle, "model_a");                       // ip 2
        Assert.Equal(HttpStatusCode.OK, accepted);
        Assert.True(acceptedBody.GetProperty("counted").GetBoolean());
        Assert.Contains(acceptedBody.GetProperty("model_a").GetString(), new[] { "alpha", "beta" });
        var (again, againBody) = await first.VoteAsync(battle, "model_b");                             // ip 3
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Contains("already has its vote", againBody.GetProperty("detail").GetString());

        // 2. Another session, or a request without the visitor cookie, cannot vote on it.
        using var other = new ArenaVisitor(baseAddress);
        var (foreign, foreignBody) = await other.VoteAsync(battle, "model_b");                         // ip 4
        Assert.Equal(HttpStatusCode.Forbidden, foreign);
        Assert.Contains("another session", foreignBody.GetProperty("detail").GetString());
        using var cookieless = new HttpClient { BaseAddress = baseAddress };
        // not counted: refused before any limit
        var noCookie = await cookieless.PostAsync($"api/arena/battles/{battle}/vote",
            new StringContent("{\"winner\":\"model_b\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, noCookie.StatusCode);
        // A request without the cookie is refused as such: the cookie its response issues is not its own yet.
        Assert.Contains("No visitor cookie", await noCookie.Content.ReadAsStringAsync());
        var (bad, badBody) = await first.VoteAsync(battle, "alpha");                                   // refused before any limit counts
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.True(badBody.GetProperty("errors").TryGetProperty("winner", out _));
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var vote = await db.ArenaVotes.SingleAsync(v => v.BattleId == battle);
            Assert.Equal("model_a", vote.Winner);
            Assert.Null(vote.IdentifiedBy);
        }

        // 3. Answers that name a model: the vote is kept, but does not count.
        await SetSpecsAsync(Say("你好！我是通义千问，由阿里云开发的大模型。", 0), Say("我是一个乐于助人的助手。", 0));
        using var curious = new ArenaVisitor(baseAddress);
        var named = await curious.StartBattleAsync("你是谁？");
        await curious.WaitFinishedAsync(named, () => app.Output);
        var (namedStatus, namedBody) = await curious.VoteAsync(named, "tie");                          // ip 5
        Assert.Equal(HttpStatusCode.OK, namedStatus);
        Assert.False(namedBody.GetProperty("counted").GetBoolean());
        Assert.Contains("通义千问", namedBody.GetProperty("identified_by").GetString());
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            Assert.Contains("通义千问", (await db.ArenaVotes.SingleAsync(v => v.BattleId == named)).IdentifiedBy);

        // 4. A burst from one visitor: the first 4 votes pass, the 5th is refused and not stored.
        await SetSpecsAsync(Say("答案甲。", 0), Say("答案乙。", 0));
        using var burst = new ArenaVisitor(baseAddress);
        var battles = new List<Guid>();
        for (var i = 0; i < 5; i++) battles.Add(await burst.StartBattleAsync($"第{i}题：一加一等于几？"));
        foreach (var b in battles) await burst.WaitFinishedAsync(b, () => app.Output);
        var outcomes = new List<(HttpStatusCode, JsonElement)>();
        foreach (var b in battles) outcomes.Add(await burst.VoteAsync(b, "model_b"));            // ip 6..9, then refused by the visitor limit
        Assert.All(outcomes.Take(4), o => Assert.Equal(HttpStatusCode.OK, o.Item1));
        Assert.Equal(HttpStatusCode.TooManyRequests, outcomes[4].Item1);
        Assert.Contains("from this visitor", outcomes[4].Item2.GetProperty("detail").GetString());
        Assert.Equal(0, await VotesOnAsync(battles[4]));

        // 5. A fresh visitor from the same address: the 10th counted attempt from this IP passes, the 11th is refused.
        using var next = new ArenaVisitor(baseAddress);
        var allowed = await next.StartBattleAsync("一年有几个季节？");
        var refused = await next.StartBattleAsync("一周有几天？");
        await next.WaitFinishedAsync(allowed, () => app.Output);
        await next.WaitFinishedAsync(refused, () => app.Output);
        Assert.Equal(HttpStatusCode.OK, (await next.VoteAsync(allowed, "model_a")).Status);               // ip 10
        var (overIp, overIpBody) = await next.VoteAsync(refused, "model_a");
        Assert.Equal(HttpStatusCode.TooManyRequests, overIp);
        Assert.Contains("from this IP address", overIpBody.GetProperty("detail").GetString());
        Assert.Equal(0, await VotesOnAsync(refused));

        // The ratings count exactly the accepted, unnamed votes: 1 + 4 + 1, with the named one left out.
        JsonElement ratings = default;
        await Poll.UntilAsync(async () =>
        {
            var response = await app.Client.GetAsync("api/arena/ratings");
            if (response.StatusCode != HttpStatusCode.OK) return false;
            ratings = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return ratings.GetProperty("battles").GetInt32() == 6 && ratings.GetProperty("excluded").GetInt32() == 1;
        }, TimeSpan.FromSeconds(60), "a ratings snapshot with 6 counted votes and 1 left out", () => app.Output);
        var votes = ratings.GetProperty("ratings").GetProperty("rows").EnumerateArray().Sum(r => r.GetProperty("votes").GetInt32());
        Assert.Equal(2 * 6, votes); // each battle counts for both of its models
    }
}
