using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Benchmarks.Ratings;
using Evals.Runner.Arena;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Arena;

/// <summary>
/// Multi-turn battles over HTTP against the real web process: follow-ups answered from the whole conversation (the
/// models say how many turns they were given), the per-turn rules (prompt length, turn count, the battle's own visitor,
/// answers finished, no turn after the vote) each a 4xx with a reason, follow-ups charged as battles by the limits (a
/// refused one stores nothing), the vote after the last turn, and the export in Chatbot Arena's format read back by the
/// battle-file reader as a multi_turn battle.
/// </summary>
public sealed class ArenaMultiTurnTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    // Six characters at 300 ms: about 2 s per answer, so a vote sent right after a follow-up finds it still being written.
    private static string Say(string text) => $"baseline:say?text={Uri.EscapeDataString(text)}&token_ms=300&heard=1";

    [Fact]
    public async Task A_visitor_continues_a_battle_both_models_answer_the_whole_conversation_and_the_vote_after_the_last_turn_reveals_them()
    {
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Name = "alpha", Kind = "baseline", Spec = Say("甲说") });
            db.Models.Add(new Model { Name = "beta", Kind = "baseline", Spec = Say("乙说") });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Arena__MaxTurns"] = "2",
            ["Arena__MaxPromptChars"] = "40",
            ["Arena__BattlesPerMinutePerVisitor"] = "3",
            ["Arena__RateLimitWindowSeconds"] = "86400",
            ["Arena__RatingsIntervalSeconds"] = "3600",
        });
        using var visitor = new ArenaVisitor(app.Client.BaseAddress!);
        using var other = new ArenaVisitor(app.Client.BaseAddress!);

        var battle = await visitor.StartBattleAsync("写一句问候。");
        var first = await visitor.WaitFinishedAsync(battle, () => app.Output);
        Assert.Equal(1, first.GetProperty("turn").GetInt32());
        Assert.Equal(new[] { "〔1〕甲说", "〔1〕乙说" }.Order(StringComparer.Ordinal), new[] { first.GetProperty("answer_a").GetString(), first.GetProperty("answer_b").GetString() }.Order(StringComparer.Ordinal));
        Assert.True(first.GetProperty("can_follow_up").GetBoolean());

        // Per-turn rules, each refused with its reason and nothing stored.
        var blank = await visitor.Client.PostAsJsonAsync($"api/arena/battles/{battle}/turns", new { prompt = "  " });
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.True((await blank.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("prompt", out _));
        var tooLong = await visitor.Client.PostAsJsonAsync($"api/arena/battles/{battle}/turns", new { prompt = new string('长', 41) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("41 characters; at most 40", await tooLong.Content.ReadAsStringAsync());
        await other.EnsureCookieAsync();
        var stranger = await other.Client.PostAsJsonAsync($"api/arena/battles/{battle}/turns", new { prompt = "我也想问" });
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        Assert.Contains("another session", await stranger.Content.ReadAsStringAsync());
        using (var cookieless = new HttpClient { BaseAddress = app.Client.BaseAddress })
            Assert.Equal(HttpStatusCode.Forbidden, (await cookieless.PostAsJsonAsync($"api/arena/battles/{battle}/turns", new { prompt = "再问" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.Client.PostAsJsonAsync($"api/arena/battles/{Guid.NewGuid()}/turns", new { prompt = "再问" })).StatusCode);
        Assert.Equal(0, await FollowUpsAsync(battle));

        var followUp = await visitor.Client.PostAsJsonAsync($"api/arena/battles/{battle}/turns", new { prompt = "再说一遍。" });
        Assert.True(followUp.StatusCode == HttpStatusCode.Created, await followUp.Content.ReadAsStringAsync());
        Assert.Equal(2, (await followUp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("turn").GetInt32());
        var early = await visitor.VoteAsync(battle, "model_a");
        Assert.Equal(HttpStatusCode.Conflict, early.Status);
        Assert.Contains("still being written", early.Body.GetProperty("detail").GetString());

        var second = await visitor.WaitFinishedAsync(battle, () => app.Output);
        Assert.Equal(2, second.GetProperty("turn").GetInt32());
        var turns = second.GetProperty("turns").EnumerateArray().ToList();
        Assert.Equal(["写一句问候。", "再说一遍。"], turns.Select(t => t.GetProperty("prompt").GetString()));
        // Each model was given the first prompt, its own first answer and the follow-up: three turns.
        Assert.Equal(new[] { "〔3〕甲说", "〔3〕乙说" }.Order(StringComparer.Ordinal), new[] { second.GetProperty("answer_a").GetString(), second.GetProperty("answer_b").GetString() }.Order(StringComparer.Ordinal));
        Assert.Equal(turns[1].GetProperty("answer_a").GetString(), second.GetProperty("answer_a").GetString());
        Assert.False(second.GetProperty("can_follow_up").GetBoolean());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("model_a").ValueKind);

        var third = await visitor.Client.PostAsJsonAsync($"api/arena/battles/{battle}/turns", new { prompt = "第三问" });
        Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);
        Assert.Contains("its 2 turns", await third.Content.ReadAsStringAsync());

        // The battle and its follow-up took two of the visitor's three battle permits; a second battle takes the third, so a
        // follow-up to it is over the limit, and is refused with nothing stored.
        var battle2 = await visitor.StartBattleAsync("另一个问题。");
        await visitor.WaitFinishedAsync(battle2, () => app.Output);
        var limited = await visitor.Client.PostAsJsonAsync($"api/arena/battles/{battle2}/turns", new { prompt = "继续。" });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("battles_per_visitor", (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("limit").GetString());
        Assert.Equal(0, await FollowUpsAsync(battle2));

        var vote = await visitor.VoteAsync(battle, "model_b");
        Assert.Equal(HttpStatusCode.OK, vote.Status);
        var (modelA, modelB) = (vote.Body.GetProperty("model_a").GetString(), vote.Body.GetProperty("model_b").GetString());
        Assert.Equal(["alpha", "beta"], new[] { modelA, modelB }.Order());
        var after = await visitor.Client.PostAsJsonAsync($"api/arena/battles/{battle}/turns", new { prompt = "还有吗" });
        Assert.Equal(HttpStatusCode.Conflict, after.StatusCode);
        Assert.Contains("already has its vote", await after.Content.ReadAsStringAsync());

        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var stored = await db.ArenaBattles.Include(b => b.FollowUps).Include(b => b.Vote).SingleAsync(b => b.Id == battle);
            var followUpRow = Assert.Single(stored.FollowUps);
            Assert.Equal((2, "再说一遍。"), (followUpRow.Turn, followUpRow.Prompt));
            Assert.Equal(modelA == "alpha" ? "〔3〕甲说" : "〔3〕乙说", followUpRow.AnswerA);
            Assert.NotNull(followUpRow.AnswerBFinishedAt);
            Assert.Equal("model_b", stored.Vote!.Winner);
            var rated = Assert.Single(await ArenaRatingsCalculator.CountedBattlesAsync(db));
            Assert.Contains(PromptCategories.MultiTurn, rated.Categories!);
        }

        // The export: Chatbot Arena's format with every turn, read back by the battle-file reader.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetAsync("api/arena/battles/export")).StatusCode);
        var export = await app.AdminClient.GetAsync("api/arena/battles/export");
        Assert.True(export.StatusCode == HttpStatusCode.OK, $"{(int)export.StatusCode}: {app.Output}");
        var text = await export.Content.ReadAsStringAsync();
        var exported = Assert.Single(JsonDocument.Parse(text).RootElement.EnumerateArray());
        Assert.Equal(2, exported.GetProperty("turn").GetInt32());
        Assert.Equal((modelA, modelB, "model_b"), (exported.GetProperty("model_a").GetString(), exported.GetProperty("model_b").GetString(), exported.GetProperty("winner").GetString()));
        Assert.Equal(
            [("user", "写一句问候。"), ("assistant", modelA == "alpha" ? "〔1〕甲说" : "〔1〕乙说"), ("user", "再说一遍。"), ("assistant", modelA == "alpha" ? "〔3〕甲说" : "〔3〕乙说")],
            exported.GetProperty("conversation_a").EnumerateArray().Select(t => (t.GetProperty("role").GetString(), t.GetProperty("content").GetString())));
        Assert.Equal(modelB == "beta" ? "〔3〕乙说" : "〔3〕甲说", exported.GetProperty("conversation_b")[3].GetProperty("content").GetString());
        // The admin battle list shows the battle's first prompt and its number of turns.
        using var adminPage = new HttpRequestMessage(HttpMethod.Get, "admin/arena");
        adminPage.Headers.Add("Cookie", await app.AdminSessionAsync());
        var admin = await (await app.Client.SendAsync(adminPage)).Content.ReadAsStringAsync();
        var row = System.Text.RegularExpressions.Regex.Match(admin, $"<tr data-battle=\"{battle}\">.*?</tr>", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(row.Success, admin);
        Assert.Contains("<pre>写一句问候。</pre>", row.Value);
        Assert.Contains("<td class=\"turns\">2</td>", row.Value);
        var path = Path.Combine(Path.GetTempPath(), $"arena-export-{Guid.NewGuid():N}.json");
        try
        {
            await File.WriteAllTextAsync(path, text);
            var read = Assert.Single(BattleFile.Read(path, requireStyle: true, readCategories: true));
            Assert.Equal((modelA, modelB, BattleWinner.ModelB), (read.ModelA, read.ModelB, read.Winner));
            Assert.Contains(PromptCategories.MultiTurn, read.Categories!);
            Assert.Contains(PromptCategories.Chinese, read.Categories!);
            // Both answers of a side count in its style: two answers of three characters each.
            Assert.Equal(AnswerStyle.Measure(["〔1〕甲说", "〔3〕甲说"]).Tokens, read.StyleA!.Tokens);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task<int> FollowUpsAsync(Guid battle)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.ArenaFollowUps.CountAsync(f => f.BattleId == battle);
    }
}
