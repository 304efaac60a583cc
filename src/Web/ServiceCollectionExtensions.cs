using Evals.Web.Runs;

namespace Evals.Web;

public static class ServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddWeb(this IHostApplicationBuilder builder, bool seedSmokeRuns)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        // Chinese text is written as text, not as &#x...; entities: smaller pages, readable source.
        builder.Services.AddWebEncoders(o => o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        builder.Services.AddProblemDetails();
        // One JSON style for the whole API, the same as the run summary's (DESIGN.md).
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddSingleton<Hosting.ComputedResultCache>();
        builder.Services.AddSingleton<RunQueries>();
        builder.Services.AddSingleton<Experiments.ExperimentQueries>();
        builder.Services.AddSingleton<Experiments.OfflineExperiments>();
        builder.Services.AddSingleton<Models.ModelQueries>();
        builder.Services.AddSingleton<RunComparisons>();
        if (seedSmokeRuns && builder.Configuration.GetValue("Evals:SeedSmokeRuns", true))
            builder.Services.AddHostedService<SmokeRunSeeder>();
        return builder;
    }
}
