using System.Diagnostics;
using System.Net;
using Evals.TestKit;

namespace Evals.Web.Tests;

/// <summary>The real web app (Evals.Web.dll) in its own process on a loopback port, over a test database.</summary>
public sealed class WebApp : IAsyncDisposable
{
    private readonly RunningProcess _process;

    private WebApp(RunningProcess process, Uri address, string adminKey)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        AdminClient = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        AdminClient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
        AdminKey = adminKey;
    }

    /// <summary>No credentials: what a visitor or an unauthenticated client gets.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends an admin key (stored hashed in the test database, as <c>evals keys create --scope admin</c> does).</summary>
    public HttpClient AdminClient { get; }

    public string AdminKey { get; }
    public string Output => _process.Output;

    public Task WaitForOutputAsync(string text, TimeSpan timeout) => _process.WaitForOutputAsync(text, timeout);

    /// <summary>An admin session as a browser gets it (the sign-in form's antiforgery token, then the key posted once):
    /// the <c>Cookie</c> header value that opens the admin pages, which take no Bearer key.</summary>
    public async Task<string> AdminSessionAsync()
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Client.BaseAddress };
        var form = await client.GetAsync("admin/signin");
        var token = System.Text.RegularExpressions.Regex.Match(await form.Content.ReadAsStringAsync(), "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value;
        var cookies = string.Join("; ", form.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        using var post = new HttpRequestMessage(HttpMethod.Post, "admin/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey, ["return_url"] = "/admin", ["__RequestVerificationToken"] = token }),
        };
        post.Headers.Add("Cookie", cookies);
        var response = await client.SendAsync(post);
        if (response.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"admin sign-in answered {(int)response.StatusCode}");
        var session = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("evals_admin=", StringComparison.Ordinal)).Split(';')[0];
        return $"{cookies}; {session}";
    }

    public static async Task<WebApp> StartAsync(string connectionString, IDictionary<string, string>? settings = null)
    {
        var adminKey = await CreateKeyAsync(connectionString, "admin");
        return await StartProcessAsync(connectionString, settings, adminKey);
    }

    /// <summary>
    /// Several web nodes on one database, started at once (each start is seconds of process start-up); when one fails to
    /// start, those already up are stopped before the failure is thrown.
    /// </summary>
    public static async Task<WebApp[]> StartNodesAsync(string connectionString, params IDictionary<string, string>[] settingsPerNode)
    {
        var starting = settingsPerNode.Select(settings => StartAsync(connectionString, settings)).ToArray();
        try
        {
            return await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var node in starting.Where(t => t.IsCompletedSuccessfully)) await (await node).DisposeAsync();
            throw;
        }
    }

    /// <summary>A key of <paramref name="scope"/> stored hashed in the test database, as <c>evals keys create --scope</c> does.</summary>
    public static async Task<string> CreateKeyAsync(string connectionString, string scope)
    {
        var key = Evals.Storage.Entities.ApiKey.NewKey();
        await using var db = Evals.Storage.Migrator.CreateContext(connectionString);
        db.ApiKeys.Add(new Evals.Storage.Entities.ApiKey
        {
            Name = $"test-{scope}-{Guid.NewGuid():N}", Scope = scope, Hash = Evals.Storage.Entities.ApiKey.HashOf(key), Prefix = key[..10],
        });
        await db.SaveChangesAsync();
        return key;
    }

    /// <summary>
    /// The app as a first-time user starts it: no connection string, so it starts (or finds running) its own embedded
    /// cluster in <c>Evals__DataDirectory</c>, which <paramref name="settings"/> must name. No admin key exists there.
    /// </summary>
    public static Task<WebApp> StartEmbeddedAsync(IDictionary<string, string> settings) => StartProcessAsync(null, settings, adminKey: "");

    private static async Task<WebApp> StartProcessAsync(string? connectionString, IDictionary<string, string>? settings, string adminKey)
    {
        // Kestrel binds port 0 itself and logs the port it got: a port picked here and released would be free only until
        // another process on a busy machine took it.
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Evals.Web.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add("http://127.0.0.1:0");
        if (connectionString is null) info.Environment.Remove("ConnectionStrings__Evals");
        else info.Environment["ConnectionStrings__Evals"] = connectionString;
        info.Environment["Runner__Datasets"] = RepoPaths.Datasets;
        info.Environment["Runner__CheckinIntervalMs"] = "1000";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        // Tests poll run summaries many times a second; the per-address limit is tested on its own (HeavyRequestTests).
        info.Environment["HeavyRequests__PerMinutePerAddress"] = "1000000";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = new RunningProcess(info);
        Uri address;
        try
        {
            await process.WaitForOutputAsync(ListeningOn, TimeSpan.FromSeconds(90));
            var line = process.Output.Split('\n').First(l => l.Contains(ListeningOn, StringComparison.Ordinal));
            address = new Uri(line[(line.IndexOf(ListeningOn, StringComparison.Ordinal) + ListeningOn.Length - "http://127.0.0.1:".Length)..].Trim() + "/");
        }
        catch
        {
            process.Dispose();
            throw;
        }
        var app = new WebApp(process, address, adminKey);
        await Poll.UntilAsync(async () =>
        {
            try
            {
                return (await app.Client.GetAsync("healthz")).StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), "the web app to report healthy", () => app.Output);
        return app;
    }

    /// <summary>What Microsoft.Hosting.Lifetime logs once Kestrel is bound, followed by the address.</summary>
    private const string ListeningOn = "Now listening on: http://127.0.0.1:";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        AdminClient.Dispose();
        _process.Dispose();
        await Task.CompletedTask;
    }
}
