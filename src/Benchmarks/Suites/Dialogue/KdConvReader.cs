using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Dialogue;

/// <summary>
/// KdConv (thu-coai/KdConv, <c>data/&lt;domain&gt;/test.json</c>): a JSON array of dialogues
/// <c>{"name": topic, "messages": [{"message": text, "attrs"?: [{"name", "attrname", "attrvalue"}]}]}</c>. As the official
/// multi-turn benchmarks build their samples (<c>MyHRED</c>/<c>MyMemHRED</c> loaders, <c>num_turns = 8</c>), every turn after the
/// first is a response to score, given at most the seven turns before it. Each becomes an item
/// <c>{id: "&lt;dialogue&gt;-&lt;turn&gt;", messages, reference, knowledge, topic}</c> of task <c>kdconv</c>, split <c>test</c>:
/// <c>messages</c> are the context turns as a conversation whose last turn is the user's (roles alternate backwards from
/// it, so the model always speaks the response's part), <c>reference</c> the response, <c>knowledge</c> the
/// <c>[head, relation, tail]</c> triples the response was written from (its <c>attrs</c>, which the memory models are
/// given; empty when it has none).
/// </summary>
public sealed class KdConvReader : IFormatReader
{
    public const string TaskName = "kdconv";
    public const string Split = "test";

    /// <summary>The official loaders' <c>num_turns</c> (8): the response and at most seven turns before it.</summary>
    public const int ContextTurns = 7;

    public string Format => "kdconv";
    public string DefaultSuite => "cuge";
    public string Expects => "KdConv's test.json (a JSON array of dialogues, e.g. data/travel/test.json), or a folder holding it";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var file = Directory.Exists(path) ? Path.Combine(path, "test.json") : path;
        if (!File.Exists(file))
        {
            builder.Fatal(file, 0, $"no such file; expected {Expects}");
            return builder.Build();
        }
        var document = JsonDocumentLines.Parse(File.ReadAllBytes(file), out var error, out var errorLine);
        if (document is null)
        {
            builder.Fatal(file, errorLine, error!);
            return builder.Build();
        }
        if (document.Root is not JsonArray dialogues)
        {
            builder.Fatal(file, 1, "expected a JSON array of dialogues");
            return builder.Build();
        }
        for (var d = 0; d < dialogues.Count; d++)
        {
            var line = document.LineOf($"$[{d}]");
            if (dialogues[d] is not JsonObject dialogue)
            {
                builder.Problem(file, line, $"$[{d}]: expected an object with name and messages");
                continue;
            }
            var problems = new List<(int Line, string Message)>();
            var turns = Turns(dialogue, d, document, line, problems);
            var topic = dialogue.TryGetPropertyValue("name", out var name) && name is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            if (topic is null) problems.Add((line, "field 'name': missing or not a string"));
            if (problems.Count > 0 || turns is null)
            {
                foreach (var (at, message) in problems) builder.Problem(file, at, message);
                continue;
            }
            for (var t = 1; t < turns.Count; t++)
                builder.Add(TaskName, Split, Id(d, t), Item(turns, t, topic!), file, turns[t].Line);
        }
        return builder.Build();
    }

    private sealed record Turn(string Text, JsonArray Knowledge, int Line);

    private static JsonObject Item(IReadOnlyList<Turn> turns, int response, string topic)
    {
        var first = Math.Max(0, response - ContextTurns);
        var context = new JsonArray();
        for (var t = first; t < response; t++)
        {
            // The turn just before the response is the user's; roles alternate backwards from there.
            var role = (response - 1 - t) % 2 == 0 ? Conversation.User : Conversation.Assistant;
            context.Add(new JsonObject { ["role"] = role, ["content"] = turns[t].Text });
        }
        return new JsonObject
        {
            ["messages"] = context,
            ["reference"] = turns[response].Text,
            ["knowledge"] = turns[response].Knowledge.DeepClone(),
            ["topic"] = topic,
        };
    }

    private static List<Turn>? Turns(JsonObject dialogue, int d, JsonDocumentLines document, int line, List<(int, string)> problems)
    {
        if (!dialogue.TryGetPropertyValue("messages", out var node) || node is not JsonArray messages)
        {
            problems.Add((line, "field 'messages': missing or not an array"));
            return null;
        }
        if (messages.Count < 2) problems.Add((line, $"field 'messages': {messages.Count} turn(s); a dialogue needs two or more"));
        var turns = new List<Turn>();
        for (var t = 0; t < messages.Count; t++)
        {
            var at = document.LineOf($"$[{d}].messages[{t}]") is > 0 and var found ? found : line;
            var field = $"messages[{t}]";
            if (messages[t] is not JsonObject message)
            {
                problems.Add((at, $"field '{field}': expected an object with message and attrs"));
                continue;
            }
            var text = message.TryGetPropertyValue("message", out var m) && m is JsonValue value && value.GetValueKind() == JsonValueKind.String
                ? value.GetValue<string>() : null;
            if (text is null || text.Trim().Length == 0)
            {
                problems.Add((at, $"field '{field}.message': {(text is null ? "missing or not a string" : "empty")}"));
                continue;
            }
            var knowledge = new JsonArray();
            if (message.TryGetPropertyValue("attrs", out var attrs) && attrs is not null)
            {
                if (attrs is not JsonArray list)
                {
                    problems.Add((at, $"field '{field}.attrs': expected an array of {{name, attrname, attrvalue}}"));
                    continue;
                }
                for (var a = 0; a < list.Count; a++)
                {
                    if (Triple(list[a]) is { } triple) knowledge.Add(triple);
                    else problems.Add((at, $"field '{field}.attrs[{a}]': expected an object with string name, attrname and attrvalue"));
                }
            }
            turns.Add(new Turn(text, knowledge, at));
        }
        return problems.Count > 0 ? null : turns;
    }

    private static JsonArray? Triple(JsonNode? node)
    {
        if (node is not JsonObject attr) return null;
        var parts = new[] { "name", "attrname", "attrvalue" }
            .Select(f => attr.TryGetPropertyValue(f, out var p) && p is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null)
            .ToArray();
        return parts.Any(p => p is null) ? null : new JsonArray(parts.Select(p => (JsonNode)p!).ToArray());
    }

    private static string Id(int dialogue, int turn) => string.Create(CultureInfo.InvariantCulture, $"{dialogue}-{turn}");
}
