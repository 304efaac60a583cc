using System.Net;
using System.Net.Http.Headers;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Admin;

/// <summary>/admin/keys in a real browser: create a key shown once, use it on /v1, revoke it on the page, and it stops working.</summary>
[Collection(BrowserTests.Name)]
public sealed class AdminKeysTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task An_admin_creates_a_v1_key_that_works_until_it_is_revoked_on_the_page()
    {
        var adminKey = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "keys-admin", Scope = "admin", Hash = ApiKey.HashOf(adminKey), Prefix = adminKey[..10] });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });
        async Task<HttpStatusCode> ModelsAsync(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return (await app.Client.SendAsync(request)).StatusCode;
        }

        // Not signed in: the page sends you to sign in, and a bare post (no antiforgery token, no session) creates nothing.
        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("admin/keys");
        Assert.Contains("/admin/signin", page.Url);
        // Redirects not followed: a refusal that sends you to sign in must not read as the sign-in page's 200.
        using var direct = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = app.Client.BaseAddress };
        async Task<HttpResponseMessage> ForgedPostAsync(string? cookie)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "admin/keys")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "create-key", ["Create.Name"] = "forged", ["Create.Scope"] = "admin" }),
            };
            if (cookie is not null) request.Headers.Add("Cookie", cookie);
            return await direct.SendAsync(request);
        }
        // Anonymous, the forged post is refused (sent to sign in) before it reaches the form handler, and no key is made.
        using (var anonymous = await ForgedPostAsync(null))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.Contains("/admin/signin", anonymous.Headers.Location!.ToString());
        }
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            Assert.False(await db.ApiKeys.AnyAsync(k => k.Name == "forged"));

        await page.FillAsync("input[name=key]", adminKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/admin/keys");
        // Signed in, a post without the page's antiforgery token is still refused.
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "evals_admin");
        using (var signedIn = await ForgedPostAsync($"evals_admin={session.Value}"))
            Assert.Equal(HttpStatusCode.BadRequest, signedIn.StatusCode);
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            Assert.False(await db.ApiKeys.AnyAsync(k => k.Name == "forged"));
        await Assertions.Expect(page.Locator("table.keys")).ToContainTextAsync("keys-admin");
        await page.GotoAsync("admin");
        await Chromium.FollowLinkAsync(page, "a[href='/admin/keys']");
        await page.WaitForURLAsync("**/admin/keys");

        await page.FillAsync("#key-name", "客户端 client");
        await page.SelectOptionAsync("#key-scope", "v1");
        await page.FillAsync("#key-rpm", "120");
        await page.ClickAsync("form.key-create button[type=submit]");
        var newKey = (await page.Locator("#new-key").TextContentAsync())!.Trim();
        Assert.StartsWith(ApiKey.KeyPrefix, newKey);
        var row = page.Locator("tr[data-key-name='客户端 client']");
        await Assertions.Expect(row).ToContainTextAsync(newKey[..10] + "…");
        await Assertions.Expect(row).ToContainTextAsync("120");
        await Chromium.ScreenshotAsync(page, "admin-keys-created");

        // Stored as the CLI stores keys: the hash and the prefix, never the key.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var stored = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == "客户端 client");
            Assert.Equal(ApiKey.HashOf(newKey), stored.Hash);
            Assert.Equal(("v1", 120, newKey[..10]), (stored.Scope, stored.RequestsPerMinute, stored.Prefix));
            Assert.Equal(0, await db.Database.SqlQuery<int>($"select count(*)::int as \"Value\" from api_keys where hash = {newKey} or prefix = {newKey} or name = {newKey}").SingleAsync());
        }
        // Shown once: loading the page again does not show it.
        await page.GotoAsync("admin/keys");
        Assert.Equal(0, await page.Locator("#new-key").CountAsync());
        Assert.DoesNotContain(newKey, await page.ContentAsync());

        Assert.Equal(HttpStatusCode.OK, await ModelsAsync(newKey));

        // The same rules as the CLI, naming the field.
        await page.FillAsync("#key-name", "客户端 client");
        await page.ClickAsync("form.key-create button[type=submit]");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("name: '客户端 client': a key with that name exists");
        await page.FillAsync("#key-name", "another");
        await page.FillAsync("#key-rpm", "0");
        await page.ClickAsync("form.key-create button[type=submit]");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("rpm: must be at least 1 (got 0)");
        Assert.Equal(0, await page.Locator("#new-key").CountAsync());

        await page.ClickAsync("button[aria-label='吊销 Revoke 客户端 client']");
        await Assertions.Expect(row.Locator("td.revoked")).Not.ToBeEmptyAsync();
        await Assertions.Expect(row.Locator("button")).ToHaveCountAsync(0);
        await Chromium.ScreenshotAsync(page, "admin-keys-revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, await ModelsAsync(newKey));
    }
}
