using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Hallucination;

/// <summary>One labelled answer: what a judge is shown and the label it should agree with.</summary>
public sealed record JudgeLabel(string Id, string Question, IReadOnlyList<string> References, string Answer, bool Hallucinated);

/// <summary>
/// A labels file for <c>evals judge-check</c>, in HalluQA's judged-output format: a JSON array of
/// <c>{question_id, question, response, Best_Answer1..4 (or Best_Answer), is_hallucination}</c>, where
/// <c>is_hallucination</c> is the label (JSON true/false). HalluQA ships such files for its leaderboard; their labels
/// are GPT-4-0613's verdicts (majority of five), not people's. Problems name the file, the line and the field.
/// </summary>
public static class JudgeLabelFile
{
    public static (IReadOnlyList<JudgeLabel> Labels, IReadOnlyList<ImportProblem> Problems) Read(string file)
    {
        var problems = new List<ImportProblem>();
        var labels = new List<JudgeLabel>();
        var document = JsonDocumentLines.Parse(File.ReadAllBytes(file), out var error, out var errorLine);
        if (document is null) return (labels, [new ImportProblem(file, errorLine, error!, Fatal: true)]);
        if (document.Root is not JsonArray array)
            return (labels, [new ImportProblem(file, 1, "expected a JSON array of labelled answers {question_id, question, response, Best_Answer1.., is_hallucination}", Fatal: true)]);
        for (var i = 0; i < array.Count; i++)
        {
            var line = document.LineOf($"$[{i}]");
            if (array[i] is not JsonObject entry)
            {
                problems.Add(new ImportProblem(file, line, $"$[{i}]: expected an object"));
                continue;
            }
            var found = new List<string>();
            var id = entry["question_id"] is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number ? v.ToString().Trim() : null;
            if (string.IsNullOrEmpty(id)) found.Add("field 'question_id': missing or not a string or integer");
            var question = Text(entry, "question", found);
            var answer = Text(entry, "response", found, allowEmpty: true);
            var references = new[] { "Best_Answer", "Best_Answer1", "Best_Answer2", "Best_Answer3", "Best_Answer4" }
                .Select(f => entry[f] is JsonValue r && r.GetValueKind() == JsonValueKind.String ? r.GetValue<string>().Trim() : "")
                .Where(r => r.Length > 0).ToList();
            if (references.Count == 0) found.Add("field 'Best_Answer1': no non-empty reference answer (Best_Answer or Best_Answer1..4)");
            bool? label = entry["is_hallucination"]?.GetValueKind() switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            };
            if (label is null) found.Add($"field 'is_hallucination': expected true or false, found {entry["is_hallucination"]?.ToJsonString() ?? "nothing"}");
            if (found.Count > 0)
            {
                problems.AddRange(found.Select(f => new ImportProblem(file, line, f)));
                continue;
            }
            labels.Add(new JudgeLabel(id!, question!, references, answer!, label!.Value));
        }
        return (labels, problems);
    }

    private static string? Text(JsonObject entry, string field, List<string> problems, bool allowEmpty = false)
    {
        if (entry[field] is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            problems.Add($"field '{field}': missing or not a string");
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
}
