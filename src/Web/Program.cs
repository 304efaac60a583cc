using Evals.Runner;
using Evals.Storage;
using Evals.Web;
using Evals.Web.Admin;
using Evals.Web.Arena;
using Evals.Web.Charts;
using Evals.Web.Api;
using Evals.Web.Components;
using Evals.Web.Health;
using Evals.Web.Hosting;
using Evals.Web.V1;

var builder = WebApplication.CreateBuilder(args);
var (connectionString, embedded) = await StartupDatabase.ConnectAsync(builder.Configuration);

builder.Services.AddStorage(connectionString);
builder.AddRunner(connectionString);
builder.AddWeb(seedSmokeRuns: embedded);
builder.Services.AddV1(builder.Configuration);
builder.Services.AddFeedbackApi(builder.Configuration);
builder.Services.AddSharedKeyRing(builder.Configuration, connectionString);
builder.Services.AddAdminAuth();
builder.Services.AddArena(builder.Configuration);
builder.Services.AddEdgeProtection(builder.Configuration);
builder.Services.AddHeavyRequests(builder.Configuration);

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
app.MapChartAssets();
app.MapAdminAuth();
app.MapRunsApi();
app.MapLeaderboardApi();
app.MapV1Api();
app.MapAbApi();
app.MapFeedbackApi();
app.MapArenaApi();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

