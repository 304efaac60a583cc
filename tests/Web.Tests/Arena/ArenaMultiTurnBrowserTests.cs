using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Arena;

/// <summary>A multi-turn arena battle in a real browser: two turns, the vote after the last, then the reveal.</summary>
[Collection(BrowserTests.Name)]
public sealed class ArenaMultiTurnBrowserTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_visitor_asks_a_follow_up_both_models_answer_the_conversation_then_votes_and_sees_the_names()
    {
        // The models say how many turns of conversation they were given (〔1〕, then 〔3〕), at 150 ms a character.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Name = "talker-gamma", Kind = "baseline", Spec = "baseline:say?text=%E4%B8%99%E7%AD%94&token_ms=150&heard=1" });
            db.Models.Add(new Model { Name = "talker-delta", Kind = "baseline", Spec = "baseline:say?text=%E4%B8%81%E7%AD%94&token_ms=150&heard=1" });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Arena__RatingsIntervalSeconds"] = "3600",
            ["Arena__MaxTurns"] = "3",
        });

        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("arena");
        await Assertions.Expect(page.Locator("h1[data-interactive=true]")).ToContainTextAsync("竞技场");
        await page.FillAsync("#arena-prompt", "你好，请自我介绍。");
        await page.ClickAsync("#start-battle");
        await Assertions.Expect(page.Locator("#answer-a[data-finished=true]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#answer-b[data-finished=true]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#answer-a .answer-text")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^〔1〕[丙丁]答$"));
        await Assertions.Expect(page.Locator("#turn-count")).ToContainTextAsync("第 1 / 3 轮");

        await page.FillAsync("#follow-up-prompt", "请再详细一点。");
        await page.ClickAsync("#send-follow-up");
        await Assertions.Expect(page.Locator("#latest-turn")).ToHaveAttributeAsync("data-turn", "2");
        // The first turn stays on the page above the second; voting waits for the second turn's answers.
        await Assertions.Expect(page.Locator(".arena-turn[data-turn='1'] .turn-prompt")).ToContainTextAsync("你好，请自我介绍。");
        await Assertions.Expect(page.Locator("#latest-turn .turn-prompt")).ToContainTextAsync("请再详细一点。");
        await Assertions.Expect(page.Locator("#answer-a[data-finished=true]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#answer-b[data-finished=true]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        // Both models were given the whole conversation: the prompt, their own answer and the follow-up.
        await Assertions.Expect(page.Locator("#answer-a .answer-text")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^〔3〕[丙丁]答$"));
        await Assertions.Expect(page.Locator("#answer-b .answer-text")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^〔3〕[丙丁]答$"));
        Assert.Equal(0, await page.Locator(".model-name").CountAsync());
        Assert.DoesNotContain("talker-", await page.ContentAsync());
        await Chromium.ScreenshotAsync(page, "arena-multi-turn");

        var shownA = (await page.Locator("#answer-a .answer-text").InnerTextAsync()).Trim();
        await Assertions.Expect(page.Locator("#vote-b")).ToBeEnabledAsync();
        await page.ClickAsync("#vote-b");
        await Assertions.Expect(page.Locator("#vote-result")).ToContainTextAsync("已计票");
        var (nameA, nameB) = shownA.EndsWith("丙答", StringComparison.Ordinal) ? ("talker-gamma", "talker-delta") : ("talker-delta", "talker-gamma");
        await Assertions.Expect(page.Locator("#answer-a .model-name")).ToContainTextAsync(nameA);
        await Assertions.Expect(page.Locator("#answer-b .model-name")).ToContainTextAsync(nameB);
        // The vote ends the conversation.
        await Assertions.Expect(page.Locator("#follow-up-prompt")).ToHaveCountAsync(0);

        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var battle = await db.ArenaBattles.Include(b => b.FollowUps).Include(b => b.Vote).SingleAsync(b => b.Prompt == "你好，请自我介绍。");
            Assert.Equal((nameA, nameB, "model_b"), (battle.ModelA, battle.ModelB, battle.Vote!.Winner));
            var followUp = Assert.Single(battle.FollowUps);
            Assert.Equal((2, "请再详细一点。", shownA), (followUp.Turn, followUp.Prompt, followUp.AnswerA));
        }
    }
}
