using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Judged;

/// <summary>
/// MT-Bench as FastChat publishes it (<c>fastchat/llm_judge/data/mt_bench/</c>), or its Chinese translation MT-Bench-ZH
/// (GeneZC/MiniMA <c>mt_bench_zh/data/mt_bench_zh/</c>): <c>question.jsonl</c> <c>{question_id, category, turns: [q1, q2]}</c>
/// and <c>reference_answer/gpt-4.jsonl</c> (FastChat's answer format; MT-Bench-ZH spells the key <c>model-id</c>), whose
/// <c>choices[0].turns</c> become the item's reference per turn — the file FastChat's judge reads, not the questions'
/// inline <c>reference</c> field. One task per category; the judge uses the reference for math, reasoning and coding only.
/// </summary>
public sealed class MtBenchReader(bool chinese) : IFormatReader
{
    public static readonly IReadOnlyList<string> Categories = ["writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"];

    public string Format => chinese ? "mt_bench_zh" : "mt_bench";
    public string DefaultSuite => Format;
    private string Folder => chinese ? Path.Combine("mt_bench_zh", "data", "mt_bench_zh") : Path.Combine("fastchat", "llm_judge", "data", "mt_bench");
    public string Expects => $"the {(chinese ? "GeneZC/MiniMA" : "lm-sys/FastChat")} checkout ({Folder}/question.jsonl and reference_answer/gpt-4.jsonl), or that folder";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var folder = new[] { path, Path.Combine(path, Folder), Path.Combine(path, "data", chinese ? "mt_bench_zh" : "mt_bench") }
            .FirstOrDefault(f => File.Exists(Path.Combine(f, "question.jsonl")));
        if (folder is null)
        {
            builder.Fatal(path, 0, $"no question.jsonl found; expected {Expects}");
            return builder.Build();
        }
        var references = ReadReferences(builder, Path.Combine(folder, "reference_answer", "gpt-4.jsonl"));
        var file = Path.Combine(folder, "question.jsonl");
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
            if (category is not null && !Categories.Contains(category)) problems.Add($"field 'category': '{category}' is none of MT-Bench's {string.Join(", ", Categories)}");
            var turns = Strings(obj["turns"]);
            if (turns is not { Count: > 0 }) problems.Add("field 'turns': expected a non-empty array of non-empty strings");
            List<string>? reference = null;
            if (id is { } key && references.TryGetValue(key, out var r))
            {
                if (turns is not null && r.Count != turns.Count) problems.Add($"reference_answer/gpt-4.jsonl: question {key} has {r.Count} reference turns for {turns.Count} questions");
                else reference = r;
            }
            if (problems.Count > 0)
            {
                foreach (var problem in problems) builder.Problem(file, line.Line, problem);
                continue;
            }
            var fields = new JsonObject { ["turns"] = new JsonArray(turns!.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()), ["category"] = category };
            if (reference is not null) fields["reference"] = new JsonArray(reference.Select(t => (JsonNode)JsonValue.Create(t)).ToArray());
            builder.Add(category!, "test", id!.Value.ToString(CultureInfo.InvariantCulture), fields, file, line.Line);
        }
        return builder.Build();
    }

    private static Dictionary<long, List<string>> ReadReferences(ImportBuilder builder, string file)
    {
        var references = new Dictionary<long, List<string>>();
        if (!File.Exists(file))
        {
            builder.Note("reference_answer/gpt-4.jsonl not found: math, reasoning and coding are judged without references");
            return references;
        }
        foreach (var line in JsonLines.Read(JsonLines.ReadText(file)))
        {
            if (line.Object is not { } obj)
            {
                builder.Problem(file, line.Line, line.Error!);
                continue;
            }
            var id = obj["question_id"] is JsonValue idValue && idValue.TryGetValue<long>(out var number) ? number : (long?)null;
            var turns = obj["choices"] is JsonArray { Count: > 0 } choices && choices[0] is JsonObject first ? Strings(first["turns"]) : null;
            if (id is null) builder.Problem(file, line.Line, "field 'question_id': expected an integer");
            else if (turns is null) builder.Problem(file, line.Line, "field 'choices': expected [{\"turns\": [strings]}]");
            else if (!references.TryAdd(id.Value, turns)) builder.Problem(file, line.Line, $"field 'question_id': {id} answered twice");
        }
        return references;
    }

    private static List<string>? Strings(JsonNode? node) =>
        node is JsonArray array && array.All(t => t is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Trim().Length > 0)
            ? array.Select(t => t!.GetValue<string>()).ToList() : null;
}
