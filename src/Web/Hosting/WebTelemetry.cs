using System.Diagnostics;
using System.Diagnostics.Metrics;
using Evals.Runner;
using Evals.Runner.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Evals.Web.Hosting;

/// <summary>
/// The web node's own metrics (arena battles and votes, feedback events) and, when <c>Telemetry</c> is configured, the
/// runner's telemetry plus ASP.NET Core's request spans and metrics and the Prometheus scrape endpoint <c>/metrics</c>.
/// </summary>
public static class WebTelemetry
{
    public const string Name = "Evals.Web";
    public const string MetricsPath = "/metrics";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> ArenaBattles = Meter.CreateCounter<long>("evals.arena.battles", "{battle}", "Arena battles, by result (started, refused)");
    public static readonly Counter<long> ArenaVotes = Meter.CreateCounter<long>("evals.arena.votes", "{vote}",
        "Arena votes, by result (counted; kept_not_counted when an answer names a model; refused)");
    public static readonly Counter<long> FeedbackEvents = Meter.CreateCounter<long>("evals.feedback.events", "{event}",
        "Feedback events posted to /api/feedback, by result (accepted, duplicate, rejected)");

    public static TelemetryOptions AddWebTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.AddTelemetry("evals-web");
        if (!options.Enabled) return options;
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddSource(Name).AddAspNetCoreInstrumentation(o =>
            // Scrapes and health probes every few seconds would drown the traces that matter.
            o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath) && !http.Request.Path.StartsWithSegments("/healthz")));
        builder.Services.ConfigureOpenTelemetryMeterProvider(m =>
        {
            m.AddMeter(Name).AddAspNetCoreInstrumentation();
            if (options.Prometheus) m.AddPrometheusExporter();
        });
        return options;
    }

    public static IEndpointRouteBuilder MapTelemetry(this IEndpointRouteBuilder app, TelemetryOptions options)
    {
        if (options.Prometheus) app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    public static KeyValuePair<string, object?> Result(string result) => new("evals.result", result);
}
