using System.Globalization;
using System.Text.Json;

namespace Evals.Web.Feedback.Otlp;

/// <summary>
/// Reads the OTLP/JSON encoding of <c>ExportTraceServiceRequest</c> (opentelemetry-proto's JSON mapping): lowerCamelCase
/// field names, trace and span ids as hex strings, 64-bit integers as decimal strings (numbers are accepted too), enums
/// as integers. Unknown fields are ignored, as the OTLP specification asks of receivers.
/// </summary>
public static class OtlpJsonReader
{
    public static List<OtlpSpan> Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new OtlpFormatException("an ExportTraceServiceRequest must be a JSON object with 'resourceSpans'");
        var spans = new List<OtlpSpan>();
        var r = 0;
        foreach (var resourceSpans in Array(root, "resourceSpans", "resourceSpans"))
        {
            var resource = resourceSpans.TryGetProperty("resource", out var res) && res.ValueKind == JsonValueKind.Object
                ? Attributes(res, $"resourceSpans[{r}].resource", null) : new Dictionary<string, object?>();
            var s = 0;
            foreach (var scopeSpans in Array(resourceSpans, "scopeSpans", $"resourceSpans[{r}].scopeSpans"))
            {
                var i = 0;
                foreach (var span in Array(scopeSpans, "spans", $"resourceSpans[{r}].scopeSpans[{s}].spans"))
                    spans.Add(Span(span, spans.Count, $"resourceSpans[{r}].scopeSpans[{s}].spans[{i++}]", resource));
                s++;
            }
            r++;
        }
        return spans;
    }

    private static IEnumerable<JsonElement> Array(JsonElement parent, string name, string path)
    {
        if (parent.ValueKind != JsonValueKind.Object) throw new OtlpFormatException($"{path}: must be an object");
        if (!parent.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null) return [];
        if (array.ValueKind != JsonValueKind.Array) throw new OtlpFormatException($"{path}: must be an array");
        return array.EnumerateArray();
    }

    private static OtlpSpan Span(JsonElement span, int index, string path, IReadOnlyDictionary<string, object?> resource)
    {
        var problems = new Dictionary<string, string[]>();
        if (span.ValueKind != JsonValueKind.Object)
        {
            problems[""] = ["a span must be a JSON object"];
            return new OtlpSpan(index, path, null, null, "", 0, 0, new Dictionary<string, object?>(), [], resource, problems);
        }
        var events = new List<OtlpSpanEvent>();
        if (span.TryGetProperty("events", out var evs) && evs.ValueKind == JsonValueKind.Array)
            foreach (var e in evs.EnumerateArray())
                if (e.ValueKind == JsonValueKind.Object)
                    events.Add(new OtlpSpanEvent(String(e, "name", problems) ?? "", Attributes(e, "events.attributes", problems)));
        return new OtlpSpan(index, path, String(span, "traceId", problems), String(span, "spanId", problems), String(span, "name", problems) ?? "",
            Nanos(span, "startTimeUnixNano", problems), Nanos(span, "endTimeUnixNano", problems), Attributes(span, "attributes", problems), events, resource, problems);
    }

    private static string? String(JsonElement e, string name, Dictionary<string, string[]>? problems)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (problems is not null) problems[name] = [$"must be a string, not {value.ValueKind}"];
        return null;
    }

    private static ulong Nanos(JsonElement e, string name, Dictionary<string, string[]> problems)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return 0;
        if (value.ValueKind == JsonValueKind.String && ulong.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)) return parsed;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out parsed)) return parsed;
        problems[name] = [$"must be nanoseconds since the Unix epoch as a decimal string (got {value.GetRawText()})"];
        return 0;
    }

    private static Dictionary<string, object?> Attributes(JsonElement owner, string field, Dictionary<string, string[]>? problems) =>
        owner.TryGetProperty("attributes", out var list) ? Pairs(list, field, problems) : new Dictionary<string, object?>(StringComparer.Ordinal);

    private static Dictionary<string, object?> Pairs(JsonElement list, string field, Dictionary<string, string[]>? problems)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (list.ValueKind != JsonValueKind.Array) return attributes;
        foreach (var kv in list.EnumerateArray())
        {
            if (kv.ValueKind != JsonValueKind.Object || !kv.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String) continue;
            try
            {
                attributes[key.GetString()!] = kv.TryGetProperty("value", out var v) ? Value(v) : null;
            }
            catch (FormatException e)
            {
                if (problems is not null) problems[$"{field}.{key.GetString()}"] = [e.Message];
            }
        }
        return attributes;
    }

    private static object? Value(JsonElement any)
    {
        if (any.ValueKind != JsonValueKind.Object) throw new FormatException("an AnyValue must be an object such as {\"stringValue\": \"…\"}");
        foreach (var p in any.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "stringValue" when v.ValueKind == JsonValueKind.String: return v.GetString();
                case "boolValue" when v.ValueKind is JsonValueKind.True or JsonValueKind.False: return v.GetBoolean();
                case "intValue" when v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i): return i;
                case "intValue" when v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n): return n;
                case "doubleValue" when v.ValueKind == JsonValueKind.Number: return v.GetDouble();
                case "doubleValue" when v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d): return d;
                case "bytesValue" when v.ValueKind == JsonValueKind.String: return Convert.FromBase64String(v.GetString()!);
                case "arrayValue" when v.ValueKind == JsonValueKind.Object:
                    return v.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Array ? values.EnumerateArray().Select(Value).ToList() : new List<object?>();
                case "kvlistValue" when v.ValueKind == JsonValueKind.Object:
                    return v.TryGetProperty("values", out var pairs) ? Pairs(pairs, "kvlistValue", null) : new Dictionary<string, object?>();
                case "stringValue" or "boolValue" or "intValue" or "doubleValue" or "bytesValue" or "arrayValue" or "kvlistValue":
                    throw new FormatException($"{p.Name} has the wrong JSON type ({v.GetRawText()})");
            }
        }
        return null;
    }
}
