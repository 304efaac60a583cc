using Evals.Runner.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Evals.Runner;

public static class TelemetryExtensions
{
    /// <summary>Npgsql 10 emits its own spans and metrics under this name; no instrumentation package is needed.</summary>
    public const string Npgsql = "Npgsql";

    /// <summary>
    /// OpenTelemetry for a worker or web node, when <c>Telemetry</c> turns an exporter on: the runner's and Npgsql's
    /// spans and metrics, outgoing HTTP (model endpoints), and the OTLP exporter. The web adds its own sources, ASP.NET
    /// Core and the Prometheus endpoint to the same providers.
    /// </summary>
    public static TelemetryOptions AddTelemetry(this IHostApplicationBuilder builder, string defaultServiceName)
    {
        var options = builder.Configuration.GetSection("Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        options.Validate();
        builder.Services.AddSingleton(options);
        if (!options.Enabled) return options;
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(string.IsNullOrWhiteSpace(options.ServiceName) ? defaultServiceName : options.ServiceName))
            .WithTracing(t => t.AddSource(RunnerTelemetry.Name, Npgsql).AddHttpClientInstrumentation())
            .WithMetrics(m => m.AddMeter(RunnerTelemetry.Name, Npgsql).AddHttpClientInstrumentation());
        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint))
            otel.UseOtlpExporter(options.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf, new Uri(options.OtlpEndpoint));
        builder.Services.AddHostedService<RunGauges>();
        return options;
    }
}
