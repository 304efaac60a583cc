using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites;

namespace Evals.Runner.Runs;

/// <summary>
/// The per-item <c>details</c> (jsonb) of a result: every further metric the item was scored on (<c>em</c>, <c>f1</c>,
/// <c>acc_norm_chars</c>, <c>circular</c>; 0–100), the extraction <c>rule</c> of a generated answer, the
/// breakdown <c>group</c>, and <c>chance</c>,
/// the score guessing expects on this item, which the summary normalises capability scores against.
/// </summary>
public static class ItemDetails
{
    public const string Rule = "rule";
    public const string Chance = "chance";
    public const string Circular = "circular";
    /// <summary>The item's value of its manifest's <c>breakdown_field</c> (CMATH's grade).</summary>
    public const string Group = "group";

    public static JsonObject From(ItemVerdict verdict, double chance)
    {
        var details = new JsonObject();
        foreach (var (name, value) in verdict.Metrics ?? new Dictionary<string, double>()) details[name] = value;
        if (verdict.Rule is { } rule) details[Rule] = rule;
        if (verdict.Group is { } group) details[Group] = group;
        details[Chance] = Math.Round(chance, 6);
        return details;
    }

    public static string ToJson(JsonObject details) => details.ToJsonString();

    /// <summary>The numeric entries of a stored details document (metrics and chance), empty when there is none.</summary>
    public static Dictionary<string, double> Numbers(string? json)
    {
        var numbers = new Dictionary<string, double>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json)) return numbers;
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object) return numbers;
        foreach (var property in document.RootElement.EnumerateObject())
            if (property.Value.ValueKind == JsonValueKind.Number) numbers[property.Name] = property.Value.GetDouble();
        return numbers;
    }
}
