using System.Text.Json;

namespace Evals.Benchmarks.Suites;

/// <summary>One item as published: its id, the split it came from, and its raw fields (JSON object).</summary>
public sealed record TaskItem(string Id, string Split, int Ordinal, JsonElement Fields)
{
    public string? GetString(string field) =>
        Fields.TryGetProperty(field, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => value.GetRawText(),
        } : null;
}
