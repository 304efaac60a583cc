using System.Text.Json;
using System.Text.Json.Serialization;

namespace Evals.Runner.Runs;

/// <summary>The run summary of DESIGN.md (<c>evals run --json</c>, <c>GET /api/runs/{id}</c>).</summary>
public sealed record RunSummary
{
    public required Guid RunId { get; init; }
    public required string Model { get; init; }
    public required string Suite { get; init; }
    public required string SuiteVersion { get; init; }
    public required string Mode { get; init; }
    public required string Status { get; init; }
    public required SortedDictionary<string, TaskSummary> Tasks { get; init; }
    public required SortedDictionary<string, double> Capabilities { get; init; }
    public double Overall { get; init; }
    public required UsageSummary Usage { get; init; }
    public double DurationS { get; init; }
    public int TotalItems { get; init; }
    public int CompletedItems { get; init; }
    public int FailedItems { get; init; }
    public string? Error { get; init; }
    /// <summary>What served the model: library, device and provider (e.g. that device=auto fell back to CPU).</summary>
    public string? Backend { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

public sealed record TaskSummary(string Metric, double Score, int N, double CiLow, double CiHigh, IReadOnlyDictionary<string, int> Outcomes, string Version);

/// <param name="Cost">Summed per item from the model's configured prices (<c>price_in</c>, <c>price_out</c> per million
/// tokens); items answered from the response cache cost nothing.</param>
/// <param name="CachedItems">Items answered from the response cache.</param>
/// <param name="MeanLatencyMs">Mean wall time per item, model call included.</param>
/// <param name="MeanTtftMs">Mean time to first token over streamed items; null when nothing was streamed.</param>
public sealed record UsageSummary(long PromptTokens, long CompletionTokens, double Cost, int CachedItems = 0, double MeanLatencyMs = 0, double? MeanTtftMs = null);
