using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.TestKit;

namespace Evals.Web.Tests.Arena;

/// <summary>
/// One arena visitor over HTTP: its own cookie jar, so its own visitor cookie, fetched (as a browser gets it with the
/// page) before its first battle or vote.
/// </summary>
public sealed class ArenaVisitor : IDisposable
{
    private readonly CookieContainer _cookies = new();

    public ArenaVisitor(Uri baseAddress) =>
        Client = new HttpClient(new HttpClientHandler { CookieContainer = _cookies }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public HttpClient Client { get; }

    /// <summary>Gets the visitor cookie from an earlier response, unless the jar already holds one.</summary>
    public async Task EnsureCookieAsync()
    {
        if (_cookies.GetCookies(Client.BaseAddress!)["evals_visitor"] is not null) return;
        var response = await Client.GetAsync("api/arena/visitor");
        response.EnsureSuccessStatusCode();
        Assert.NotNull(_cookies.GetCookies(Client.BaseAddress!)["evals_visitor"]);
    }

    public async Task<Guid> StartBattleAsync(string prompt)
    {
        await EnsureCookieAsync();
        var response = await Client.PostAsJsonAsync("api/arena/battles", new { prompt });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public async Task<JsonElement> WaitFinishedAsync(Guid battle, Func<string>? diagnostics = null)
    {
        JsonElement view = default;
        await Poll.UntilAsync(async () =>
        {
            view = await Client.GetFromJsonAsync<JsonElement>($"api/arena/battles/{battle}");
            return view.GetProperty("finished_a").GetBoolean() && view.GetProperty("finished_b").GetBoolean();
        }, TimeSpan.FromSeconds(60), $"battle {battle} to finish", diagnostics);
        return view;
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> VoteAsync(Guid battle, string winner)
    {
        await EnsureCookieAsync();
        var response = await Client.PostAsJsonAsync($"api/arena/battles/{battle}/vote", new { winner });
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    public void Dispose() => Client.Dispose();
}
