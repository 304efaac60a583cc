using System.Net;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Admin;

/// <summary>Admin pages behind sign-in with an admin-scoped key, in a real browser; public pages need none.</summary>
[Collection(BrowserTests.Name)]
public sealed class AdminSignInTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Admin_pages_need_an_admin_key_and_a_revoked_key_ends_the_session()
    {
        var adminKey = ApiKey.NewKey();
        var v1Key = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "运维 admin", Scope = "admin", Hash = ApiKey.HashOf(adminKey), Prefix = adminKey[..10] });
            db.ApiKeys.Add(new ApiKey { Name = "client", Scope = "v1", Hash = ApiKey.HashOf(v1Key), Prefix = v1Key[..10] });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });

        // The chart library is served by the app itself, not a CDN.
        var echarts = await app.Client.GetAsync("lib/echarts.min.js");
        Assert.Equal(HttpStatusCode.OK, echarts.StatusCode);
        Assert.Contains("echarts", await echarts.Content.ReadAsStringAsync());

        // A form post without the antiforgery token is refused.
        var forged = await app.Client.PostAsync("admin/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = adminKey }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("admin");
        Assert.Contains("/admin/signin", page.Url);

        await page.FillAsync("input[name=key]", "evk-not-a-key");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Unknown or revoked key");

        await page.FillAsync("input[name=key]", v1Key);
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("scope is not admin");

        await page.FillAsync("input[name=key]", adminKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/admin");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("运维 admin");
        await Chromium.ScreenshotAsync(page, "admin-home");

        await using (var db = Migrator.CreateContext(database.ConnectionString))
            await db.ApiKeys.Where(k => k.Scope == "admin").ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UnixEpoch));
        await page.GotoAsync("admin");
        Assert.Contains("/admin/signin", page.Url);

        // Public pages stay public.
        var response = await page.GotoAsync("");
        Assert.Equal(200, response!.Status);
    }
}
