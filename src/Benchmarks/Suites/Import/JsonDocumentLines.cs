using System.Text.Json;
using System.Text.Json.Nodes;

namespace Evals.Benchmarks.Suites.Import;

/// <summary>
/// A whole-file JSON document (CMRC 2018, C3) with the line on which every object and array starts, keyed by path
/// (<c>$.data[3].paragraphs[0].qas[2]</c>), so that problems deep inside one document still name a line.
/// </summary>
public sealed class JsonDocumentLines
{
    private readonly Dictionary<string, int> _lines;

    private JsonDocumentLines(JsonNode? root, Dictionary<string, int> lines)
    {
        Root = root;
        _lines = lines;
    }

    public JsonNode? Root { get; }

    /// <summary>The line where the container at <paramref name="path"/> starts, or 0 when there is none.</summary>
    public int LineOf(string path) => _lines.GetValueOrDefault(path);

    /// <summary>Parses the document; on a syntax error returns null and the 1-based line the parser stopped on.</summary>
    public static JsonDocumentLines? Parse(byte[] bytes, out string? error, out int errorLine)
    {
        var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var span = bytes.AsSpan(start);
        error = null;
        errorLine = 0;
        try
        {
            var root = JsonNode.Parse(span, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
            return new JsonDocumentLines(root, Map(span));
        }
        catch (JsonException e)
        {
            error = $"not valid JSON: {e.Message}";
            errorLine = (int)(e.LineNumber ?? 0) + 1;
            return null;
        }
    }

    private static Dictionary<string, int> Map(ReadOnlySpan<byte> json)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json);
        var stack = new Stack<Frame>();
        var line = 1;
        var counted = 0;
        while (reader.Read())
        {
            var at = (int)reader.TokenStartIndex;
            line += json[counted..at].Count((byte)'\n');
            counted = at;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    stack.Peek().Property = reader.GetString();
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    var path = PathOfNext(stack);
                    lines[path] = line;
                    stack.Push(new Frame(path, reader.TokenType == JsonTokenType.StartArray));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    stack.Pop();
                    break;
                default:
                    PathOfNext(stack);
                    break;
            }
        }
        return lines;
    }

    /// <summary>The path of the value about to be read; advances the enclosing array's index.</summary>
    private static string PathOfNext(Stack<Frame> stack)
    {
        if (stack.Count == 0) return "$";
        var parent = stack.Peek();
        return parent.IsArray ? $"{parent.Path}[{parent.Index++}]" : $"{parent.Path}.{parent.Property}";
    }

    private sealed class Frame(string path, bool isArray)
    {
        public string Path { get; } = path;
        public bool IsArray { get; } = isArray;
        public int Index { get; set; }
        public string? Property { get; set; }
    }
}
