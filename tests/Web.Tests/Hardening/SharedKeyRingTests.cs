using System.Net;
using System.Text.RegularExpressions;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Hardening;

/// <summary>
/// Issue 17, test 3: two web nodes on one database share one data-protection key ring (in PostgreSQL, encrypted at
/// rest). The sign-in form's antiforgery token comes from node A and is posted to node B; the session B issues is
/// honoured by A and, after A restarts, by the new A.
/// </summary>
public sealed partial class SharedKeyRingTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    internal static readonly Dictionary<string, string> Settings = new()
    {
        ["Evals__SeedSmokeRuns"] = "false",
        ["DataProtection__KeySecret"] = "a secret every web node of this test is given",
    };

    [Fact]
    public async Task A_session_and_an_antiforgery_token_from_one_node_are_honoured_by_another_and_after_a_restart()
    {
        var nodeA = await WebApp.StartAsync(database.ConnectionString, Settings);
        await using var stopA = new AsyncDisposer(nodeA);
        await using var nodeB = await WebApp.StartAsync(database.ConnectionString, Settings);
        var cookies = new CookieContainer();
        HttpClient Browser(WebApp node) => new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = node.Client.BaseAddress };

        using var onA = Browser(nodeA);
        using var onB = Browser(nodeB);
        await SignInAsync(formFrom: onA, postTo: onB, nodeA.AdminKey);

        await AssertSignedInAsync(onA);
        await AssertSignedInAsync(onB);

        await stopA.DisposeAsync();
        await using var restarted = await WebApp.StartAsync(database.ConnectionString, Settings);
        using var onRestarted = Browser(restarted);
        await AssertSignedInAsync(onRestarted);

        // Without the cookie the same page asks for a sign-in: the check above is not a public page.
        // (The page sends an anonymous visitor to the sign-in form from its render, so the status may be 200.)
        var anonymous = await restarted.Client.GetAsync("admin");
        var anonymousPage = await anonymous.Content.ReadAsStringAsync();
        Assert.Contains("/admin/signin", anonymous.Headers.Location?.OriginalString ?? anonymousPage);
        Assert.DoesNotContain("test-admin-", anonymousPage);

        await using var db = Migrator.CreateContext(database.ConnectionString);
        var keys = await db.DataProtectionKeys.Select(k => k.Xml).ToListAsync();
        Assert.Single(keys);
        Assert.Contains("<encryptedKey version=\"1\"", keys[0]);
        Assert.DoesNotContain("<masterKey", keys[0]);
    }

    /// <summary>Gets the sign-in form (with its antiforgery token) from one client's node and posts it to another's.</summary>
    internal static async Task SignInAsync(HttpClient formFrom, HttpClient postTo, string adminKey)
    {
        var form = await formFrom.GetStringAsync("admin/signin");
        var fields = HiddenInput().Matches(form).ToDictionary(m => m.Groups["name"].Value, m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        Assert.True(fields.ContainsKey("__RequestVerificationToken"), form);
        fields["key"] = adminKey;
        var signIn = await postTo.PostAsync("admin/signin", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/admin", signIn.Headers.Location?.OriginalString);
    }

    internal static async Task AssertSignedInAsync(HttpClient client)
    {
        var admin = await client.GetAsync("admin");
        Assert.True(admin.StatusCode == HttpStatusCode.OK, $"{client.BaseAddress}admin: {(int)admin.StatusCode} {admin.Headers.Location}");
        Assert.Contains("test-admin-", await admin.Content.ReadAsStringAsync());
    }

    /// <summary>Stops node A once, whether the test restarts it or fails first.</summary>
    internal sealed class AsyncDisposer(IAsyncDisposable inner) : IAsyncDisposable
    {
        private bool _done;

        public async ValueTask DisposeAsync()
        {
            if (_done) return;
            _done = true;
            await inner.DisposeAsync();
        }
    }

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)"\s*/?>""")]
    private static partial Regex HiddenInput();
}
