using Evals.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Evals.Web.Tests.Hosting;

/// <summary>
/// The web app built by <see cref="EvalsWebApp"/> (as Program.cs builds it) inside the test process, on a loopback port:
/// for what only its services show (its endpoint data source, telemetry through an in-memory exporter). Everything else
/// talks to it over HTTP like any client.
/// </summary>
public sealed class InProcessWebApp : IAsyncDisposable
{
    /// <summary>
    /// The app's meters are static, as in production where one app owns its process: two apps in one test process
    /// would count each other's measurements, so the classes that start one share this serial collection.
    /// </summary>
    public const string Collection = "in-process web app";

    private InProcessWebApp(WebApplication app, Uri address, string adminKey)
    {
        App = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        AdminClient = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        AdminClient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public HttpClient AdminClient { get; }

    public static async Task<InProcessWebApp> StartAsync(string connectionString, IDictionary<string, string> settings, Action<WebApplicationBuilder>? configure = null)
    {
        var adminKey = await WebApp.CreateKeyAsync(connectionString, "admin");
        var all = new Dictionary<string, string>
        {
            ["ConnectionStrings:Evals"] = connectionString,
            ["Runner:Datasets"] = RepoPaths.Datasets,
            ["Runner:CheckinIntervalMs"] = "1000",
            ["Evals:SeedSmokeRuns"] = "false",
            ["HeavyRequests:PerMinutePerAddress"] = "1000000",
            ["urls"] = "http://127.0.0.1:0",
            ["environment"] = "Development",
        };
        foreach (var (key, value) in settings) all[key] = value;
        var app = await EvalsWebApp.BuildAsync(all.Select(s => $"--{s.Key}={s.Value}").ToArray(), configure);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessWebApp(app, new Uri(address + "/"), adminKey);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        AdminClient.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

[CollectionDefinition(InProcessWebApp.Collection, DisableParallelization = true)]
public sealed class InProcessWebAppCollection;
