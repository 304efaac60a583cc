using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Reading;

/// <summary>
/// C³ multiple-choice reading comprehension: each file is a JSON array of <c>[[document lines], [{"question", "choice",
/// "answer"}], "doc id"]</c>, where <c>answer</c> is the text of the right choice. One item per question; the dialogue
/// (<c>d</c>) and mixed-genre (<c>m</c>) files of a split form one task, as CLUE scores C³.
/// </summary>
public sealed partial class C3Reader : IFormatReader
{
    public string Format => "c3";
    public string DefaultSuite => "clue";
    public string Expects => "a folder with c3-{d,m}-{train,dev,test}.json or {d,m}-{train,dev,test}.json, or one such file";

    [GeneratedRegex(@"^(?:c3-)?(?<kind>[dm])-(?<split>train|dev|test)\.json$")]
    private static partial Regex FileName();

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        foreach (var (split, file) in DocumentFiles.Find(path, FileName(), Expects, builder))
        {
            var match = FileName().Match(Path.GetFileName(file));
            var kind = match.Success ? match.Groups["kind"].Value : Path.GetFileNameWithoutExtension(file);
            var document = DocumentFiles.Parse(file, builder);
            if (document is null) continue;
            if (document.Root is not JsonArray documents)
            {
                builder.Fatal(file, 1, "expected a JSON array of [document, questions, id]");
                continue;
            }
            for (var d = 0; d < documents.Count; d++)
                ReadDocument(builder, file, split, kind, document, d, documents[d]);
        }
        return builder.Build();
    }

    private void ReadDocument(ImportBuilder builder, string file, string split, string kind, JsonDocumentLines document, int index, JsonNode? node)
    {
        var path = $"$[{index}]";
        var line = document.LineOf(path);
        if (node is not JsonArray { Count: 3 } entry || entry[0] is not JsonArray lines || entry[1] is not JsonArray questions
            || entry[2] is not JsonValue idValue || !idValue.TryGetValue<string>(out var docId) || docId.Trim().Length == 0)
        {
            builder.Problem(file, line, "expected [[document lines], [questions], \"id\"]");
            return;
        }
        var text = new List<string>();
        foreach (var l in lines)
        {
            if (l is JsonValue v && v.TryGetValue<string>(out var s)) text.Add(s);
            else
            {
                builder.Problem(file, line, "document: every line must be a string");
                return;
            }
        }
        for (var q = 0; q < questions.Count; q++)
        {
            var questionPath = $"{path}[1][{q}]";
            var questionLine = document.LineOf(questionPath) is > 0 and var l ? l : line;
            if (questions[q] is not JsonObject question)
            {
                builder.Problem(file, questionLine, "question: expected an object");
                continue;
            }
            var problems = new List<string>();
            var questionText = Fields.String(question, "question", problems);
            var choices = Fields.Strings(question, "choice", problems, min: 2);
            var answer = Fields.String(question, "answer", problems);
            var answerIndex = -1;
            if (choices is not null && answer is not null)
            {
                answerIndex = choices.IndexOf(answer);
                if (answerIndex < 0) problems.Add($"field 'answer': '{answer}' is not one of the choices");
                else if (choices.LastIndexOf(answer) != answerIndex) problems.Add($"field 'answer': '{answer}' appears twice among the choices");
            }
            if (problems.Count > 0)
            {
                foreach (var problem in problems) builder.Problem(file, questionLine, problem);
                continue;
            }
            var fields = new JsonObject
            {
                ["document"] = string.Join('\n', text),
                ["question"] = questionText,
                ["choice"] = new JsonArray(choices!.Select(c => (JsonNode?)c).ToArray()),
                ["answer"] = answer,
                // Derived: the index of the right choice, for the multiple-choice task.
                ["answer_index"] = answerIndex,
                ["doc_id"] = docId,
                ["source"] = kind,
            };
            builder.Add(Format, split, $"{kind}-{docId}-{q}", fields, file, questionLine);
        }
    }
}
