using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Maths;

namespace Evals.Runner.Runs;

/// <summary>
/// Self-consistency's samples in a result's details: <c>"votes": [{"output", "answer", "rule"}, …]</c>, in sample order,
/// each with the number extracted from it (null when none) and the rule that found it. Re-scoring reads the outputs back
/// (<see cref="Outputs"/>) and votes again.
/// </summary>
public static class NumericSamples
{
    public const string Key = "votes";

    public static JsonArray ToJson(IReadOnlyList<string> outputs) => new(outputs.Select(output =>
    {
        var (value, rule) = NumericExtraction.Extract(output);
        return (JsonNode?)new JsonObject { ["output"] = output, ["answer"] = value?.Text, ["rule"] = rule };
    }).ToArray());

    /// <summary>The sampled outputs of a stored details document; null when it holds none.</summary>
    public static List<string>? Outputs(JsonObject? details) =>
        details?[Key] is JsonArray votes && votes.All(v => v?["output"] is JsonValue)
            ? votes.Select(v => v!["output"]!.GetValue<string>()).ToList()
            : null;
}
