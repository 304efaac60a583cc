using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.TestKit;

namespace Evals.Web.Tests.Arena;

/// <summary>One arena visitor over HTTP: its own cookie jar, so its own visitor cookie.</summary>
public sealed class ArenaVisitor(Uri baseAddress) : IDisposable
{
    public HttpClient Client { get; } = new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public async Task<Guid> StartBattleAsync(string prompt)
    {
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
        var response = await Client.PostAsJsonAsync($"api/arena/battles/{battle}/vote", new { winner });
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    public void Dispose() => Client.Dispose();
}
