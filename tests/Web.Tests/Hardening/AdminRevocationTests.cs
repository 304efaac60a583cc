using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Hardening;

/// <summary>
/// Issue 18, finding 3: an admin page left open (an interactive circuit) must lose its rights when the key is revoked;
/// each handler that changes data asks the database again, and the circuit's authentication state is revalidated.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class AdminRevocationTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task An_open_arena_admin_page_changes_nothing_once_its_key_is_revoked()
    {
        var adminKey = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "moderator", Scope = "admin", Hash = ApiKey.HashOf(adminKey), Prefix = adminKey[..10] });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
            { ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false", ["Admin__RevalidateSeconds"] = "3600" });
        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("admin/signin?return_url=/admin/arena");
        await page.FillAsync("input[name=key]", adminKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/admin/arena");
        await Assertions.Expect(page.Locator("h1[data-interactive=true]")).ToBeVisibleAsync();

        // Still an admin: a term is added.
        await page.FillAsync("#new-term", "允许的词");
        await page.ClickAsync("#add-term");
        await Assertions.Expect(page.Locator("#name-terms")).ToContainTextAsync("允许的词");

        await using (var db = Migrator.CreateContext(database.ConnectionString))
            await db.ApiKeys.Where(k => k.Name == "moderator").ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UnixEpoch));

        // The same open page, after the revocation (revalidation set to an hour, so only the handler's own check stands).
        await page.FillAsync("#new-term", "撤销后的词");
        await page.ClickAsync("#add-term");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("session has ended");
        await page.ClickAsync("#recompute");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("session has ended");

        await using (var check = Migrator.CreateContext(database.ConnectionString))
            Assert.False(await check.ArenaNameTerms.AnyAsync(t => t.Term == "撤销后的词"));
    }
}
