namespace Evals.Runner.Telemetry;

/// <summary>
/// Settings under <c>Telemetry</c> (environment: <c>Telemetry__OtlpEndpoint</c>, <c>Telemetry__Prometheus</c>). Both off
/// by default: then no OpenTelemetry provider is built and nothing is collected.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>An OTLP collector's base address (e.g. <c>http://otel-collector:4317</c>); traces and metrics go there.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (port 4317 by convention) or <c>http/protobuf</c> (4318; the exporter appends <c>/v1/traces</c> and <c>/v1/metrics</c>).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>Serve <c>/metrics</c> in Prometheus' text format (web nodes; a CLI worker exports through OTLP).</summary>
    public bool Prometheus { get; set; }

    /// <summary>The <c>service.name</c> resource attribute; by default <c>evals-web</c> or <c>evals-worker</c>.</summary>
    public string? ServiceName { get; set; }

    /// <summary>How often the queued/running run gauges are counted from the database.</summary>
    public int GaugeIntervalSeconds { get; set; } = 15;

    public bool Enabled => !string.IsNullOrWhiteSpace(OtlpEndpoint) || Prometheus;

    public void Validate()
    {
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint) && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _))
            throw new InvalidOperationException($"Telemetry:OtlpEndpoint must be an absolute URL such as http://otel-collector:4317 (got '{OtlpEndpoint}')");
        if (OtlpProtocol is not ("grpc" or "http/protobuf"))
            throw new InvalidOperationException($"Telemetry:OtlpProtocol must be grpc or http/protobuf (got '{OtlpProtocol}')");
        if (GaugeIntervalSeconds < 1) throw new InvalidOperationException($"Telemetry:GaugeIntervalSeconds must be at least 1 (got {GaugeIntervalSeconds})");
    }
}
