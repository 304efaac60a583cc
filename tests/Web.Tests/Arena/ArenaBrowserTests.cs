using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Arena;

/// <summary>One arena battle end to end in a real browser, then its moderation by an admin.</summary>
[Collection(BrowserTests.Name)]
public sealed class ArenaBrowserTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    private const string PoemA = "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。";
    private const string PoemB = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。";

    // The answers' pace, which sets the window in which the test must see an answer half-streamed: 24 characters at
    // 120 ms gave about 3 s, a race on a busy machine; at 600 ms a character it is about 14 s, and each poll needs only
    // to land between two characters 0.6 s apart.
    private const int TokenMs = 600;

    [Fact]
    public async Task A_visitor_plays_a_battle_sees_both_answers_stream_votes_sees_the_names_and_the_vote_is_counted()
    {
        var adminKey = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Name = "poet-alpha", Kind = "baseline", Spec = $"baseline:say?text={Uri.EscapeDataString(PoemA)}&token_ms={TokenMs}" });
            db.Models.Add(new Model { Name = "poet-beta", Kind = "baseline", Spec = $"baseline:say?text={Uri.EscapeDataString(PoemB)}&token_ms={TokenMs}" });
            db.ApiKeys.Add(new ApiKey { Name = "擂台 admin", Scope = "admin", Hash = ApiKey.HashOf(adminKey), Prefix = adminKey[..10] });
            await db.SaveChangesAsync();
        }
        // Ratings only on demand here (the admin button), so the test sees the button work.
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Arena__RatingsIntervalSeconds"] = "3600",
            ["Arena__BootstrapRounds"] = "100",
        });

        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("");
        // The arena is in the top navigation; a click made before the page's circuit is up can be lost, so go by its link.
        var link = page.GetByRole(AriaRole.Link, new() { Name = "竞技场 Arena" });
        Assert.Equal("arena", await link.GetAttributeAsync("href"));
        await page.GotoAsync("arena");
        await Assertions.Expect(page.Locator("h1[data-interactive=true]")).ToContainTextAsync("竞技场");

        await page.ClickAsync("#draw-prompt");
        // The drawn prompt arrives with the server's next render.
        await Assertions.Expect(page.Locator("#arena-prompt")).Not.ToHaveValueAsync(new System.Text.RegularExpressions.Regex(@"^\s*$"));
        await page.FillAsync("#arena-prompt", "写一首五言绝句。");
        await page.ClickAsync("#start-battle");

        // Streaming: part of an answer is on the page before it has finished, and voting is not yet possible.
        var answerA = page.Locator("#answer-a");
        await Poll.UntilAsync(async () =>
        {
            var text = await answerA.Locator(".answer-text").InnerTextAsync();
            return text.Trim('▍', ' ').Length >= 3 && await answerA.GetAttributeAsync("data-finished") == "false";
        }, TimeSpan.FromSeconds(30), "a partly streamed answer A", () => app.Output);
        await Assertions.Expect(page.Locator("#vote-a")).ToBeDisabledAsync();
        await Chromium.ScreenshotAsync(page, "arena-streaming");

        // The whole answer takes about 14 s at this pace; give it room.
        await Assertions.Expect(page.Locator("#answer-a[data-finished=true]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#answer-b[data-finished=true]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        var shownA = (await answerA.Locator(".answer-text").InnerTextAsync()).Trim();
        var shownB = (await page.Locator("#answer-b .answer-text").InnerTextAsync()).Trim();
        Assert.Equal(new[] { PoemA, PoemB }.Order(), new[] { shownA, shownB }.Order());
        // Anonymous until the vote.
        Assert.Equal(0, await page.Locator(".model-name").CountAsync());
        Assert.DoesNotContain("poet-", await page.ContentAsync());

        await Assertions.Expect(page.Locator("#vote-a")).ToBeEnabledAsync();
        await page.ClickAsync("#vote-a");
        await Assertions.Expect(page.Locator("#vote-result")).ToContainTextAsync("已计票");
        var winner = shownA == PoemA ? "poet-alpha" : "poet-beta";
        var loser = winner == "poet-alpha" ? "poet-beta" : "poet-alpha";
        await Assertions.Expect(page.Locator("#answer-a .model-name")).ToContainTextAsync(winner);
        await Assertions.Expect(page.Locator("#answer-b .model-name")).ToContainTextAsync(loser);
        await Chromium.ScreenshotAsync(page, "arena-revealed");

        Guid voteId;
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var vote = await db.ArenaVotes.Include(v => v.Battle).SingleAsync();
            Assert.Equal("model_a", vote.Winner);
            Assert.Equal(winner, vote.Battle!.ModelA);
            Assert.Equal("写一首五言绝句。", vote.Battle.Prompt);
            voteId = vote.Id;
        }

        // An admin recomputes on demand; the public ratings page then counts the vote.
        await SignInAsync(page, adminKey);
        await page.GotoAsync("admin/arena");
        await Assertions.Expect(page.Locator("h1[data-interactive=true]")).ToBeVisibleAsync();
        // The pair sampler's weights: two models make one pair, drawn every time.
        await Assertions.Expect(page.Locator("#pair-weights tr[data-pair='poet-alpha|poet-beta'] .chance")).ToHaveTextAsync("100.0%");
        await Assertions.Expect(page.Locator($"tr[data-battle] .vote-status")).ToContainTextAsync("counted");
        await page.ClickAsync("#recompute");
        await Assertions.Expect(page.Locator("#admin-notice")).ToContainTextAsync("Recompute requested");
        await WaitForRatingsAsync(page, counted: 1, app);
        await Assertions.Expect(page.Locator($"#ratings-table tr[data-model='{winner}'] .votes")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator($"#ratings-table tr[data-model='{loser}'] .votes")).ToHaveTextAsync("1");
        // The winner of the only battle is rated first.
        await Assertions.Expect(page.Locator("#ratings-table tbody tr").First).ToHaveAttributeAsync("data-model", winner);
        await Assertions.Expect(page.Locator("#win-rate-chart[data-chart-ready=true]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#battle-counts")).ToContainTextAsync("1");
        // The Chinese leaderboard is the default view; the prompt (a poem, in Chinese) is also under creative writing.
        await Assertions.Expect(page.Locator("#ratings-table")).ToHaveAttributeAsync("data-category", "chinese");
        await Assertions.Expect(page.Locator("#category-nav a[data-category=creative_writing]")).ToContainTextAsync("(1)");
        await Assertions.Expect(page.Locator($"#ratings-table tr[data-model='{winner}'] .style-rating")).Not.ToHaveTextAsync("—");
        await Chromium.ScreenshotAsync(page, "arena-ratings");

        // Moderation: exclude the vote with a reason, edit the name list; the recomputed ratings leave the vote out.
        await page.GotoAsync("admin/arena");
        await Assertions.Expect(page.Locator("h1[data-interactive=true]")).ToBeVisibleAsync();
        // The pair sampler's weights: two models make one pair, drawn every time.
        await Assertions.Expect(page.Locator("#pair-weights tr[data-pair='poet-alpha|poet-beta'] .chance")).ToHaveTextAsync("100.0%");
        await page.FillAsync($"tr[data-battle] input[name=reason]", "测试：刷票");
        await page.ClickAsync("tr[data-battle] form.exclude button");
        await Assertions.Expect(page.Locator("tr[data-battle] .vote-status")).ToContainTextAsync("excluded");
        await page.FillAsync("#new-term", "诗仙助手");
        await page.ClickAsync("#add-term");
        await Assertions.Expect(page.Locator("#name-terms li[data-term='诗仙助手']")).ToBeVisibleAsync();
        await page.Locator("#name-terms li[data-term='GPT-4'] button.remove").ClickAsync();
        await Assertions.Expect(page.Locator("#name-terms li[data-term='GPT-4']")).ToHaveCountAsync(0);
        await Chromium.ScreenshotAsync(page, "arena-admin");
        await page.ClickAsync("#recompute");
        await WaitForRatingsAsync(page, counted: 0, app);
        await Assertions.Expect(page.Locator("#excluded-votes")).ToHaveTextAsync("1");

        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var vote = await db.ArenaVotes.SingleAsync(v => v.Id == voteId);
            Assert.Equal("测试：刷票", vote.ExcludedReason);
            Assert.Equal("擂台 admin", vote.ExcludedBy);
            Assert.True(await db.ArenaNameTerms.AnyAsync(t => t.Term == "诗仙助手"));
            Assert.False(await db.ArenaNameTerms.AnyAsync(t => t.Term == "GPT-4"));
        }
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("admin/signin");
        await page.FillAsync("input[name=key]", key);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/admin");
    }

    private static async Task WaitForRatingsAsync(IPage page, int counted, WebApp app) =>
        await Poll.UntilAsync(async () =>
        {
            await page.GotoAsync("arena/ratings");
            var facts = page.Locator("#counted-votes");
            return await facts.CountAsync() == 1 && (await facts.InnerTextAsync()).Trim() == counted.ToString();
        }, TimeSpan.FromSeconds(60), $"a ratings snapshot with {counted} counted votes", () => app.Output);
}
