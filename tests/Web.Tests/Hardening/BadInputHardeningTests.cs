using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Admin;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Hardening;

/// <summary>The real web process (Development, as the README's <c>dotnet run</c> starts it) with two arena models and a feedback key.</summary>
public sealed class HardeningFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";
    public string FeedbackKey { get; } = ApiKey.NewKey();
    public string OtherFeedbackKey { get; } = ApiKey.NewKey();
    /// <summary>A /v1 key with a rate no drill reaches.</summary>
    public string V1Key { get; } = ApiKey.NewKey();
    public WebApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync();
        await using (var db = Migrator.CreateContext(ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "app", Scope = "feedback", Hash = ApiKey.HashOf(FeedbackKey), Prefix = FeedbackKey[..10] });
            db.ApiKeys.Add(new ApiKey { Name = "other-app", Scope = "feedback", Hash = ApiKey.HashOf(OtherFeedbackKey), Prefix = OtherFeedbackKey[..10] });
            db.ApiKeys.Add(new ApiKey { Name = "v1-client", Scope = "v1", Hash = ApiKey.HashOf(V1Key), Prefix = V1Key[..10], RequestsPerMinute = 1_000_000 });
            db.Models.Add(new Model { Name = "alpha", Kind = "baseline", Spec = "baseline:say?text=%E6%98%A5" });
            db.Models.Add(new Model { Name = "beta", Kind = "baseline", Spec = "baseline:say?text=%E7%A7%8B" });
            await db.SaveChangesAsync();
        }
        App = await WebApp.StartAsync(ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false" });
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>Issue 18, findings 1 (NUL from clients), 2 (500s for bad query values, stack traces) and 8 (return_url, Secure cookie).</summary>
public sealed class BadInputHardeningTests(HardeningFixture fixture) : IClassFixture<HardeningFixture>
{
    private static async Task<JsonElement> ErrorsOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");

    [Fact]
    public async Task An_arena_prompt_with_NUL_is_a_400_naming_prompt_and_stores_no_battle()
    {
        using var visitor = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = fixture.App.Client.BaseAddress };
        // The visitor cookie comes from an earlier response, as a browser gets it from the arena page.
        Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync("api/arena/visitor")).StatusCode);
        var response = await visitor.PostAsync("api/arena/battles", new StringContent("{\"prompt\":\"a\\u0000b\"}", Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Contains("U+0000", (await ErrorsOf(response)).GetProperty("prompt")[0].GetString());
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        Assert.False(await db.ArenaBattles.AnyAsync(b => b.Prompt.StartsWith("a")));
    }

    [Fact]
    public async Task A_feedback_batch_with_one_NUL_event_stores_the_others_and_names_the_field()
    {
        var good = Guid.NewGuid().ToString("N");
        var bad = Guid.NewGuid().ToString("N");
        var body = $$"""
            [{"event_id":"{{good}}","trace_id":"t1","model":"m","input":"问","output":"答","rating":"up"},
             {"event_id":"{{bad}}","trace_id":"t2","model":"m","input":"问\u0000题","output":"答","rating":"down"}]
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/feedback") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.FeedbackKey);
        var response = await fixture.App.Client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        var result = JsonDocument.Parse(text).RootElement;
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        var rejected = Assert.Single(result.GetProperty("rejected").EnumerateArray());
        Assert.Equal(1, rejected.GetProperty("index").GetInt32());
        Assert.Contains("U+0000", rejected.GetProperty("errors").GetProperty("input")[0].GetString());
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        Assert.True(await db.Feedback.AnyAsync(f => f.EventId == good));
        Assert.False(await db.Feedback.AnyAsync(f => f.EventId == bad));
    }

    [Fact]
    public async Task One_feedback_key_cannot_pre_empt_another_keys_event_ids()
    {
        var id = Guid.NewGuid().ToString("N");
        async Task<JsonElement> PostAsync(string key, string input)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/feedback")
            {
                Content = new StringContent($$"""{"event_id":"{{id}}","trace_id":"t","model":"m","input":"{{input}}","output":"答","rating":"up"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var response = await fixture.App.Client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        Assert.Equal(1, (await PostAsync(fixture.OtherFeedbackKey, "squatter")).GetProperty("accepted").GetInt32());
        Assert.Equal(1, (await PostAsync(fixture.FeedbackKey, "real")).GetProperty("accepted").GetInt32());
        // A resend from the same key is still stored once.
        Assert.Equal(1, (await PostAsync(fixture.FeedbackKey, "real")).GetProperty("duplicates").GetInt32());
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        Assert.Equal(["real", "squatter"], (await db.Feedback.Where(f => f.EventId == id).Select(f => f.Input).ToListAsync()).Order());
    }

    [Theory]
    [InlineData("api/leaderboard?to=9999-12-31", "to")]
    [InlineData("api/leaderboard?from=0001-01-01", "from")]
    [InlineData("api/runs/00000000-0000-0000-0000-000000000001/results?page=21474837", "page")]
    [InlineData("api/runs/00000000-0000-0000-0000-000000000001/results?page=-1", "page")]
    [InlineData("api/runs/00000000-0000-0000-0000-000000000001/results?filter=nope", "filter")]
    [InlineData("api/runs?take=100000", "take")]
    [InlineData("api/leaderboard?suite=a%00b", "suite")]
    [InlineData("api/runs/00000000-0000-0000-0000-000000000001/results?task=%00", "task")]
    public async Task An_out_of_range_query_value_is_a_400_naming_the_parameter(string url, string parameter)
    {
        var response = await fixture.App.Client.GetAsync(url);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url}: {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.True((await ErrorsOf(response)).TryGetProperty(parameter, out _), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_client_that_is_not_on_this_machine_gets_no_developer_exception_page()
    {
        // Through a proxy on loopback, as a remote visitor reaches a site started with the README's `dotnet run`.
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/runs/00000000-0000-0000-0000-000000000001/results?page=abc");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        var response = await fixture.App.Client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{response.StatusCode}: {body}");
        Assert.DoesNotContain("BadHttpRequestException", body);
        Assert.DoesNotContain(" at Microsoft.", body);
    }

    [Theory]
    [InlineData("/\t/evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("//evil.example")]
    [InlineData("/ok\\..\\/evil.example")]
    [InlineData("https://evil.example/")]
    public void A_return_url_that_a_browser_would_take_off_site_becomes_admin(string returnUrl) =>
        Assert.Equal("/admin", AdminAuth.SafeReturnUrl(returnUrl));

    [Fact]
    public void A_local_return_url_is_kept() => Assert.Equal("/admin/arena?x=1", AdminAuth.SafeReturnUrl("/admin/arena?x=1"));

    [Fact]
    public async Task The_admin_cookie_is_Secure_for_a_client_behind_a_proxy_even_over_http()
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = fixture.App.Client.BaseAddress };
        var form = await client.GetAsync("admin/signin");
        var html = await form.Content.ReadAsStringAsync();
        var token = Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), html);
        var cookies = string.Join("; ", form.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

        using var post = new HttpRequestMessage(HttpMethod.Post, "admin/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = fixture.App.AdminKey, ["return_url"] = "/admin", ["__RequestVerificationToken"] = token }),
        };
        post.Headers.Add("Cookie", cookies);
        post.Headers.Add("X-Forwarded-For", "203.0.113.7");
        var response = await client.SendAsync(post);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var session = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("evals_admin=", StringComparison.Ordinal));
        Assert.Contains("secure", session, StringComparison.OrdinalIgnoreCase);
    }
}
