using Evals.Runner;
using Evals.Storage;
using Evals.Web.Admin;
using Evals.Web.Api;
using Evals.Web.Arena;
using Evals.Web.Charts;
using Evals.Web.Components;
using Evals.Web.Health;
using Evals.Web.Hosting;
using Evals.Web.V1;

namespace Evals.Web;

/// <summary>
/// The web app as <c>Program.cs</c> runs it. Tests build the same app in their own process when they need what only
/// its services can show: the mapped endpoints, and telemetry read through an in-memory exporter.
/// </summary>
public static class EvalsWebApp
{
    /// <param name="configure">Runs after the app's own services are added, before the app is built.</param>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The application name locates the static web assets' manifest, also when another assembly (a test) is the entry.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(EvalsWebApp).Assembly.GetName().Name });
        var (connectionString, embedded) = await StartupDatabase.ConnectAsync(builder.Configuration);

        builder.Services.AddStorage(connectionString);
        builder.AddRunner(connectionString);
        builder.AddWeb(seedSmokeRuns: embedded);
        var telemetry = builder.AddWebTelemetry();
        builder.Services.AddApiDescription();
        builder.Services.AddV1(builder.Configuration);
        builder.Services.AddFeedbackApi(builder.Configuration);
        builder.Services.AddSharedKeyRing(builder.Configuration, connectionString);
        builder.Services.AddAdminAuth();
        builder.Services.AddArena(builder.Configuration);
        builder.Services.AddEdgeProtection(builder.Configuration);
        builder.Services.AddHeavyRequests(builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseEdgeProtection();
        app.UseV1Keys();
        app.UseFeedbackKeys();
        app.UseVisitorCookie();
        app.UseAuthentication();
        app.UseHeavyRequestAdmins();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapHealthEndpoint();
        app.MapTelemetry(telemetry);
        app.MapOpenApi();
        app.MapChartAssets();
        app.MapAdminAuth();
        app.MapRunsApi();
        app.MapLeaderboardApi();
        app.MapV1Api();
        app.MapAbApi();
        app.MapFeedbackApi();
        app.MapOtlpTracesApi();
        app.MapArenaApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
