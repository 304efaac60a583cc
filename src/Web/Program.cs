using Evals.Runner;
using Evals.Storage;
using Evals.Web;
using Evals.Web.Api;
using Evals.Web.Components;
using Evals.Web.Health;
using Evals.Web.V1;

var builder = WebApplication.CreateBuilder(args);
var database = DatabaseLocator.ReadOptions(builder.Configuration);
var connectionString = await DatabaseLocator.ResolveAsync(database, Console.WriteLine);
await Migrator.MigrateAsync(connectionString);

builder.Services.AddStorage(connectionString);
builder.AddRunner(connectionString);
builder.AddWeb(seedSmokeRuns: database.ConnectionString is null);
builder.Services.AddV1(builder.Configuration);

var app = builder.Build();
if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
app.UseV1Keys();
app.UseRateLimiter();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapHealthEndpoint();
app.MapRunsApi();
app.MapV1Api();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

