using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Evals.Benchmarks.Suites.Import;

/// <param name="Line">1-based line number in the file.</param>
/// <param name="Object">The line's JSON object, or null when <see cref="Error"/> says why not.</param>
public sealed record JsonLine(int Line, JsonObject? Object, string? Error);

/// <summary>JSON Lines as CLUE publishes them: UTF-8, an optional BOM, LF or CRLF, blank lines ignored, one object per line.</summary>
public static class JsonLines
{
    public static IEnumerable<JsonLine> Read(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            JsonNode? node;
            string? error = null;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                node = null;
                error = $"not valid JSON: {e.Message}";
            }
            if (error is null && node is not JsonObject) error = $"expected a JSON object, found {Describe(node)}";
            if (error is null && UnstorableText(node) is { } problem) error = problem;
            yield return new JsonLine(lineNumber, error is null ? node as JsonObject : null, error);
        }
    }

    /// <summary>
    /// Storage's rule for text people send (<c>Evals.Storage.Text.StoredText</c>): a string with U+0000 or a lone
    /// surrogate is refused, since PostgreSQL cannot store it. Null when every string in the document can be stored.
    /// </summary>
    public static string? UnstorableText(JsonNode? node, string path = "")
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                    if (UnstorableText(child, path.Length == 0 ? name : $"{path}.{name}") is { } problem) return problem;
                return null;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (UnstorableText(array[i], $"{path}[{i}]") is { } problem) return problem;
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                string text;
                try
                {
                    text = value.GetValue<string>();
                }
                catch (InvalidOperationException)
                {
                    return $"field '{path}': a lone UTF-16 surrogate escape, which is not valid Unicode";
                }
                for (var i = 0; i < text.Length; i++)
                {
                    if (text[i] == '\0') return $"field '{path}': contains U+0000 (NUL) at character {i}, which cannot be stored";
                    if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                    else if (char.IsSurrogate(text[i])) return $"field '{path}': a lone UTF-16 surrogate at character {i}, which is not valid Unicode";
                }
                return null;
            default:
                return null;
        }
    }

    public static string ReadText(string path) => File.ReadAllText(path, new UTF8Encoding(false));

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };
}

/// <summary>Typed access to a JSON object's fields that says what is wrong in the house style ("field 'label': …").</summary>
internal static class Fields
{
    /// <summary>A non-empty string; <paramref name="allowEmpty"/> for fields such as TNEWS's <c>keywords</c>.</summary>
    public static string? String(JsonObject obj, string field, List<string> problems, bool allowEmpty = false)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
        {
            problems.Add($"field '{field}': missing");
            return null;
        }
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            problems.Add($"field '{field}': expected a string, found {JsonLines.Describe(node)}");
            return null;
        }
        var text = value.GetValue<string>();
        if (!allowEmpty && text.Trim().Length == 0)
        {
            problems.Add($"field '{field}': empty");
            return null;
        }
        return text;
    }

    /// <summary>A label written as a string ("0") or as an integer (0): CLUE and FewCLUE differ, the value is the same.</summary>
    public static string? Label(JsonObject obj, string field, List<string> problems)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
        {
            problems.Add($"field '{field}': missing label");
            return null;
        }
        if (node is JsonValue value)
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.String:
                    return value.GetValue<string>();
                case JsonValueKind.Number when value.TryGetValue<long>(out var n):
                    return n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        problems.Add($"field '{field}': expected a string or integer label, found {JsonLines.Describe(node)}");
        return null;
    }

    public static long? Integer(JsonObject obj, string field, List<string> problems)
    {
        if (obj.TryGetPropertyValue(field, out var node) && node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            && value.TryGetValue<long>(out var n))
            return n;
        problems.Add(node is null ? $"field '{field}': missing" : $"field '{field}': expected an integer, found {JsonLines.Describe(node)}");
        return null;
    }

    public static List<string>? Strings(JsonObject obj, string field, List<string> problems, int min = 1)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is not JsonArray array)
        {
            problems.Add($"field '{field}': missing or not an array");
            return null;
        }
        var list = new List<string>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String) list.Add(v.GetValue<string>());
            else
            {
                problems.Add($"field '{field}[{i}]': expected a string, found {JsonLines.Describe(array[i])}");
                return null;
            }
        }
        if (list.Count < min)
        {
            problems.Add($"field '{field}': {list.Count} entries, expected at least {min}");
            return null;
        }
        return list;
    }

    /// <summary>The item id as text: CLUE ids are integers in some files and strings in others.</summary>
    public static string? Id(JsonObject obj, string field, List<string> problems)
    {
        var id = Label(obj, field, []);
        if (string.IsNullOrWhiteSpace(id)) problems.Add($"field '{field}': missing item id");
        return string.IsNullOrWhiteSpace(id) ? null : id;
    }
}
