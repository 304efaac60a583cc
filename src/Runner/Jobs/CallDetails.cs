using System.Text.Json;
using System.Text.Json.Serialization;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Jobs;

/// <summary>
/// The per-item details the job adds about the model call (results.details, jsonb): which mode produced the score,
/// its cost, the time to first token when streamed, and whether the response cache answered.
/// </summary>
internal static class CallDetails
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string ToJson(string mode, CallStats? stats) => JsonSerializer.Serialize(new Details(
        mode,
        stats is { Cost: > 0 } ? stats.Cost : null,
        stats?.TimeToFirstTokenMs is { } ttft ? Math.Round(ttft, 3) : null,
        stats is { Cached: true } ? true : null), Json);

    private sealed record Details(string Mode, double? Cost, double? TtftMs, bool? Cached);
}
