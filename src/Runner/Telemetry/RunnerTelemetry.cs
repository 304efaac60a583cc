using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Evals.Runner.Telemetry;

/// <summary>
/// The runner's traces and metrics: a run's job and each model call (spans), items, model latency and tokens, cache hits.
/// Model calls follow the OpenTelemetry GenAI semantic conventions (<c>gen_ai.client.operation.duration</c>,
/// <c>gen_ai.client.token.usage</c>), so GenAI dashboards read them as they read any client's. Nothing is exported
/// unless <see cref="TelemetryOptions"/> turns an exporter on; without a listener these instruments cost nothing.
/// </summary>
public static class RunnerTelemetry
{
    public const string Name = "Evals.Runner";
    public const string RunIdTag = "evals.run_id";
    public const string ModelTag = "evals.model";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    /// <summary>Seconds per model call that the model answered (cache hits are counted by <see cref="CacheHits"/> instead).</summary>
    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram("gen_ai.client.operation.duration", "s",
        "Duration of GenAI model calls answered by the model", advice: new InstrumentAdvice<double>
        {
            // The conventions' recommended boundaries: model calls take from tens of milliseconds to minutes.
            HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
        });

    /// <summary>Tokens per model call, by <c>gen_ai.token.type</c> (input, output).</summary>
    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram("gen_ai.client.token.usage", "{token}",
        "Tokens used per GenAI model call", advice: new InstrumentAdvice<long>
        {
            HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
        });

    public static readonly Counter<long> CacheHits = Meter.CreateCounter<long>("evals.response_cache.hits", "{call}",
        "Model calls answered from the response cache");

    /// <summary>Items whose result is stored, by model and outcome: its rate is a run's items per second.</summary>
    public static readonly Counter<long> Items = Meter.CreateCounter<long>("evals.run.items", "{item}", "Evaluated items stored, by model and outcome");

    public static readonly Counter<long> RunsFinished = Meter.CreateCounter<long>("evals.runs.finished", "{run}", "Runs that ended, by status");
}
