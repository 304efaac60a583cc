using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Hallucination;

/// <summary>
/// HalluQA as published (OpenMOSS/HalluQA <c>HalluQA.json</c>): one JSON array of
/// <c>{"question_id", "Question", "Best Answer1".."Best Answer4", "Wrong_Answer1".."Wrong_Answer4", "Category", "Class",
/// "Question Pattern", "Source"}</c> (note the source's mixed spelling: a space in <c>Best Answer1</c>, an underscore in
/// <c>Wrong_Answer1</c>; <c>Best Answer</c> without a number is read too). A team's own questions use the same format,
/// and may use the category <c>Unanswerable</c>. Each item becomes <c>{id, question, references, wrong_answers, kind,
/// unanswerable, class, pattern}</c> of task <c>open_qa</c>, split <c>test</c>. <c>unanswerable</c> is true for the
/// category Unanswerable, and for any item whose first reference answer says it cannot be known
/// (<see cref="RefusalDetector.SaysCannotKnow"/>; 32 of HalluQA's 450 items).
/// </summary>
public sealed class HalluQaReader : IFormatReader
{
    public const string TaskName = "open_qa";
    public const string Split = "test";

    public string Format => "halluqa";
    public string DefaultSuite => "halluqa";
    public string Expects => "HalluQA.json (a JSON array of questions in HalluQA's format), or a folder holding it";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var file = Directory.Exists(path) ? Path.Combine(path, "HalluQA.json") : path;
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
        if (document.Root is not JsonArray questions)
        {
            builder.Fatal(file, 1, "expected a JSON array of questions");
            return builder.Build();
        }
        for (var i = 0; i < questions.Count; i++)
        {
            var line = document.LineOf($"$[{i}]");
            if (questions[i] is not JsonObject question)
            {
                builder.Problem(file, line, $"$[{i}]: expected an object");
                continue;
            }
            var problems = new List<string>();
            var item = Read(question, problems);
            if (item is null)
                foreach (var problem in problems) builder.Problem(file, line, problem);
            else
                builder.Add(TaskName, Split, item.Value.Id, item.Value.Fields, file, line);
        }
        return builder.Build();
    }

    private static (string Id, JsonObject Fields)? Read(JsonObject question, List<string> problems)
    {
        var id = Id(question, problems);
        var text = Fields.String(question, "Question", problems);
        var references = Answers(question, "Best Answer", problems, required: true);
        var wrong = Answers(question, "Wrong_Answer", problems, required: false);
        var category = Fields.String(question, "Category", problems);
        var kind = category is null ? null : HallucinationKinds.FromCategory(category);
        if (category is not null && kind is null)
            problems.Add($"field 'Category': '{category}' is not one of Misleading, Misleading-hard, Knowledge, Unanswerable");
        if (problems.Count > 0 || id is null || text is null || kind is null) return null;
        var fields = new JsonObject
        {
            ["question"] = text.Trim(),
            ["references"] = new JsonArray(references.Select(r => (JsonNode)r).ToArray()),
            ["wrong_answers"] = new JsonArray(wrong.Select(r => (JsonNode)r).ToArray()),
            ["kind"] = kind,
            ["unanswerable"] = kind == HallucinationKinds.Unanswerable || RefusalDetector.SaysCannotKnow(references[0]),
        };
        if (Optional(question, "Class") is { } topic) fields["class"] = topic;
        if (Optional(question, "Question Pattern") is { } pattern) fields["pattern"] = pattern;
        return (id, fields);
    }

    private static string? Id(JsonObject question, List<string> problems)
    {
        if (!question.TryGetPropertyValue("question_id", out var node) || node is not JsonValue value)
        {
            problems.Add("field 'question_id': missing");
            return null;
        }
        return value.GetValueKind() switch
        {
            JsonValueKind.Number when value.TryGetValue<long>(out var number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            JsonValueKind.String when value.GetValue<string>().Trim() is { Length: > 0 } s => s,
            _ => Invalid(),
        };

        string? Invalid()
        {
            problems.Add($"field 'question_id': expected an integer or a non-empty string, found {value.ToJsonString()}");
            return null;
        }
    }

    /// <summary>The non-empty answers of <c>{prefix}</c>, <c>{prefix}1</c> … <c>{prefix}4</c>, in that order.</summary>
    private static List<string> Answers(JsonObject question, string prefix, List<string> problems, bool required)
    {
        var answers = new List<string>();
        foreach (var field in new[] { prefix, $"{prefix}1", $"{prefix}2", $"{prefix}3", $"{prefix}4" })
        {
            if (!question.TryGetPropertyValue(field, out var node) || node is null) continue;
            if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
            {
                problems.Add($"field '{field}': expected a string, found {node.ToJsonString()}");
                continue;
            }
            if (value.GetValue<string>().Trim() is { Length: > 0 } answer) answers.Add(answer);
        }
        if (required && answers.Count == 0) problems.Add($"field '{prefix}1': no non-empty reference answer ('{prefix}1'..'{prefix}4')");
        return answers;
    }

    private static string? Optional(JsonObject question, string field) =>
        question.TryGetPropertyValue(field, out var node) && node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            && value.GetValue<string>().Trim() is { Length: > 0 } text ? text : null;
}
