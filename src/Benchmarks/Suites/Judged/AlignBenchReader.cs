using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Judged;

/// <summary>
/// AlignBench (THUDM/AlignBench) as published: <c>data/data_v1.1_release.jsonl</c> (split <c>test</c>, the current set)
/// and, where present, the v1.0 <c>data/data_release.jsonl</c> (split <c>v1_0</c>), JSON Lines <c>{question_id, category,
/// subcategory, question, reference, evidences?}</c>; and <c>config/</c>: <c>subcategory_question_mapping.json</c>
/// (subcategory → answer type), <c>dimension_set.json</c> (answer type → dimensions), <c>dimension_definition.json</c>
/// (dimension → definition). Each item gets its dimensions resolved as <c>judge.py</c> resolves them (through the
/// subcategory), so the task needs no config at run time. One task per category (<see cref="Tasks"/>).
/// </summary>
public sealed class AlignBenchReader : IFormatReader
{
    public const string CurrentFile = "data_v1.1_release.jsonl";
    public const string V10File = "data_release.jsonl";

    /// <summary>AlignBench's eight categories → task names.</summary>
    public static readonly IReadOnlyDictionary<string, string> Tasks = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["专业能力"] = "professional", ["数学计算"] = "math", ["基本任务"] = "fundamental", ["逻辑推理"] = "reasoning",
        ["中文理解"] = "understanding", ["综合问答"] = "open_qa", ["文本写作"] = "writing", ["角色扮演"] = "roleplay",
    };

    public string Format => "alignbench";
    public string DefaultSuite => "alignbench";
    public string Expects => $"the THUDM/AlignBench checkout: data/{CurrentFile} (and data/{V10File} for v1.0) and config/";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var data = Path.Combine(path, "data");
        var config = Path.Combine(path, "config");
        var current = Path.Combine(data, CurrentFile);
        if (!File.Exists(current))
        {
            builder.Fatal(path, 0, $"no data/{CurrentFile} found; expected {Expects}");
            return builder.Build();
        }
        var mapping = ReadMap(builder, Path.Combine(config, "subcategory_question_mapping.json"));
        var sets = ReadSets(builder, Path.Combine(config, "dimension_set.json"));
        var definitions = ReadMap(builder, Path.Combine(config, "dimension_definition.json"));
        if (mapping is null || sets is null || definitions is null) return builder.Build();
        ReadFile(builder, current, "test", mapping, sets, definitions);
        var v10 = Path.Combine(data, V10File);
        if (File.Exists(v10)) ReadFile(builder, v10, "v1_0", mapping, sets, definitions);
        else builder.Note($"data/{V10File} (v1.0) not found: only v1.1 imported");
        return builder.Build();
    }

    private static void ReadFile(ImportBuilder builder, string file, string split, Dictionary<string, string> mapping,
        Dictionary<string, List<string>> sets, Dictionary<string, string> definitions)
    {
        foreach (var line in JsonLines.Read(JsonLines.ReadText(file)))
        {
            if (line.Object is not { } obj)
            {
                builder.Problem(file, line.Line, line.Error!);
                continue;
            }
            var problems = new List<string>();
            var id = Fields.Integer(obj, "question_id", problems);
            var category = Fields.String(obj, "category", problems);
            var subcategory = Fields.String(obj, "subcategory", problems);
            var question = Fields.String(obj, "question", problems);
            var reference = Fields.String(obj, "reference", problems);
            string? task = null;
            if (category is not null && !Tasks.TryGetValue(category, out task))
                problems.Add($"field 'category': '{category}' is none of AlignBench's {string.Join(", ", Tasks.Keys)}");
            List<string>? dimensions = null;
            if (subcategory is not null)
            {
                if (!mapping.TryGetValue(subcategory, out var type)) problems.Add($"field 'subcategory': '{subcategory}' is not in config/subcategory_question_mapping.json");
                else if (!sets.TryGetValue(type, out dimensions)) problems.Add($"field 'subcategory': its answer type '{type}' is not in config/dimension_set.json");
                else if (dimensions.FirstOrDefault(d => !definitions.ContainsKey(d)) is { } undefined)
                    problems.Add($"field 'subcategory': dimension '{undefined}' has no definition in config/dimension_definition.json");
            }
            if (problems.Count > 0)
            {
                foreach (var problem in problems) builder.Problem(file, line.Line, problem);
                continue;
            }
            var fields = new JsonObject
            {
                ["turns"] = new JsonArray(JsonValue.Create(question)),
                ["reference"] = reference,
                ["category"] = category,
                ["subcategory"] = subcategory,
                ["dimensions"] = new JsonArray(dimensions!.Select(d => (JsonNode)new JsonObject { ["name"] = d, ["definition"] = definitions[d] }).ToArray()),
            };
            builder.Add(task!, split, id!.Value.ToString(CultureInfo.InvariantCulture), fields, file, line.Line);
        }
    }

    private static Dictionary<string, string>? ReadMap(ImportBuilder builder, string file)
    {
        var node = ReadJson(builder, file);
        if (node is not JsonObject obj) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String) map[key] = v.GetValue<string>();
            else builder.Fatal(file, 0, $"field '{key}': expected a string");
        }
        return map;
    }

    private static Dictionary<string, List<string>>? ReadSets(ImportBuilder builder, string file)
    {
        var node = ReadJson(builder, file);
        if (node is not JsonObject obj) return null;
        var sets = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (value is JsonArray array && array.All(a => a is JsonValue v && v.GetValueKind() == JsonValueKind.String))
                sets[key] = array.Select(a => a!.GetValue<string>()).ToList();
            else builder.Fatal(file, 0, $"field '{key}': expected an array of dimension names");
        }
        return sets;
    }

    private static JsonNode? ReadJson(ImportBuilder builder, string file)
    {
        if (!File.Exists(file))
        {
            builder.Fatal(file, 0, "missing: AlignBench's config/ resolves each question's dimensions");
            return null;
        }
        try
        {
            var node = JsonNode.Parse(JsonLines.ReadText(file).TrimStart('\uFEFF'));
            if (node is not JsonObject) builder.Fatal(file, 0, "expected a JSON object");
            return node;
        }
        catch (JsonException e)
        {
            builder.Fatal(file, (int)(e.LineNumber ?? -1) + 1, $"not valid JSON: {e.Message}");
            return null;
        }
    }
}
