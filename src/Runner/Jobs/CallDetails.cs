using System.Text.Json.Nodes;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Jobs;

/// <summary>
/// What the job adds to an item's details (results.details, jsonb) about the model call: which mode produced the
/// score, its cost, the time to first token when streamed, and whether the response cache answered.
/// </summary>
internal static class CallDetails
{
    public static void AddTo(JsonObject details, string mode, CallStats? stats)
    {
        details["mode"] = mode;
        if (stats is { Cost: > 0 }) details["cost"] = stats.Cost;
        if (stats?.TimeToFirstTokenMs is { } ttft) details["ttft_ms"] = Math.Round(ttft, 3);
        if (stats is { Cached: true }) details["cached"] = true;
    }
}
