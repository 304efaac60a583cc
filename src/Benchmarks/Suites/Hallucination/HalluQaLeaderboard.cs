using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Hallucination;

/// <summary>One model's answer with the judge's verdict, as HalluQA ships them (<c>Chinese_LLMs_outputs/…_output_qa_prompt.json</c>).</summary>
/// <param name="Hallucinated">The judge's verdict; null where the official script recorded <c>"Invalid_Judge"</c>.</param>
public sealed record JudgedOutput(string QuestionId, string Response, bool? Hallucinated);

/// <summary>Passed of total for one kind, as a rate 0–100.</summary>
public sealed record PassCount(int Passed, int Total)
{
    public double Rate => Total == 0 ? 0 : 100.0 * Passed / Total;
}

/// <summary>One leaderboard row: per kind (misleading, misleading-hard, knowledge) and in total.</summary>
public sealed record LeaderboardRow(string Model, IReadOnlyDictionary<string, PassCount> Kinds, PassCount Total, int UnknownIds);

/// <summary>
/// HalluQA's published leaderboard from judged outputs, computed as the official <c>calculate_metrics.py</c> does: an
/// answer passes when the judge found no hallucination and the response is not empty; an invalid judgement does not
/// pass; the non-hallucination rate of a category is its passing answers over its answers, and the total is all
/// passing answers over all answers. The category of an answer comes from <c>HalluQA.json</c> by <c>question_id</c>
/// (a string in the outputs, an integer in the data).
/// </summary>
public static class HalluQaLeaderboard
{
    public static LeaderboardRow Score(string model, IReadOnlyDictionary<string, string> kindById, IReadOnlyList<JudgedOutput> outputs)
    {
        var kinds = new SortedDictionary<string, PassCount>(StringComparer.Ordinal);
        int passed = 0, total = 0, unknown = 0;
        foreach (var output in outputs)
        {
            if (!kindById.TryGetValue(output.QuestionId, out var kind))
            {
                unknown++;
                continue;
            }
            var pass = output.Hallucinated == false && output.Response.Length > 0;
            var count = kinds.GetValueOrDefault(kind, new PassCount(0, 0));
            kinds[kind] = new PassCount(count.Passed + (pass ? 1 : 0), count.Total + 1);
            passed += pass ? 1 : 0;
            total++;
        }
        return new LeaderboardRow(model, kinds, new PassCount(passed, total), unknown);
    }

    /// <summary>
    /// Reads a judged-output file; problems name the file, the line and the field. Returns null (with no problem)
    /// when the file is a JSON array whose objects carry no <c>is_hallucination</c>: not judged outputs.
    /// </summary>
    public static IReadOnlyList<JudgedOutput>? Read(string file, List<ImportProblem> problems)
    {
        var document = JsonDocumentLines.Parse(File.ReadAllBytes(file), out var error, out var errorLine);
        if (document is null)
        {
            problems.Add(new ImportProblem(file, errorLine, error!, Fatal: true));
            return null;
        }
        if (document.Root is not JsonArray array || (array.Count > 0 && !array.Any(e => e is JsonObject o && o.ContainsKey("is_hallucination"))))
            return null;
        var outputs = new List<JudgedOutput>();
        for (var i = 0; i < array.Count; i++)
        {
            var line = document.LineOf($"$[{i}]");
            if (array[i] is not JsonObject entry)
            {
                problems.Add(new ImportProblem(file, line, $"$[{i}]: expected an object"));
                continue;
            }
            var id = entry["question_id"] is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number ? v.ToString() : null;
            if (id is null || id.Trim().Length == 0)
            {
                problems.Add(new ImportProblem(file, line, "field 'question_id': missing or not a string or integer"));
                continue;
            }
            if (entry["response"] is not JsonValue r || r.GetValueKind() != JsonValueKind.String)
            {
                problems.Add(new ImportProblem(file, line, "field 'response': missing or not a string"));
                continue;
            }
            var verdict = entry["is_hallucination"];
            bool? hallucinated;
            switch (verdict?.GetValueKind())
            {
                case JsonValueKind.True:
                    hallucinated = true;
                    break;
                case JsonValueKind.False:
                    hallucinated = false;
                    break;
                case JsonValueKind.String when verdict.GetValue<string>() == "Invalid_Judge":
                    hallucinated = null;
                    break;
                default:
                    problems.Add(new ImportProblem(file, line, $"field 'is_hallucination': expected true, false or \"Invalid_Judge\", found {verdict?.ToJsonString() ?? "nothing"}"));
                    continue;
            }
            outputs.Add(new JudgedOutput(id.Trim(), r.GetValue<string>(), hallucinated));
        }
        return outputs;
    }

    /// <summary>The model's name from its file name: <c>gpt-4-0613_output_qa_prompt.json</c> → <c>gpt-4-0613</c>.</summary>
    public static string ModelName(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        foreach (var suffix in new[] { "_output_qa_prompt", "_output", "_responses" })
            if (name.EndsWith(suffix, StringComparison.Ordinal)) return name[..^suffix.Length];
        return name;
    }
}
