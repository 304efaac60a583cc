using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Reading;

/// <summary>
/// CMRC 2018 in its SQuAD-style layout (<c>{"version", "data": [{"id", "title", "paragraphs": [{"id", "context",
/// "qas": [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}</c>): one item per question, with every
/// reference answer (the official scorer takes the best match over all of them).
/// </summary>
public sealed partial class Cmrc2018Reader : IFormatReader
{
    public string Format => "cmrc2018";
    public string DefaultSuite => "clue";
    public string Expects => "a folder with cmrc2018_{train,dev,trial}.json or {train,dev,trial}.json (SQuAD-style), or one such file";

    [GeneratedRegex(@"^(?:cmrc2018_)?(?<split>train|dev|trial)\.json$")]
    private static partial Regex FileName();

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        foreach (var (split, file) in DocumentFiles.Find(path, FileName(), Expects, builder))
        {
            var document = DocumentFiles.Parse(file, builder);
            if (document is null) continue;
            if (document.Root is not JsonObject root || root["data"] is not JsonArray data)
            {
                builder.Fatal(file, 1, "field 'data': missing or not an array (expected the SQuAD-style layout)");
                continue;
            }
            for (var a = 0; a < data.Count; a++)
            {
                var articlePath = $"$.data[{a}]";
                if (data[a] is not JsonObject article || article["paragraphs"] is not JsonArray paragraphs)
                {
                    builder.Problem(file, document.LineOf(articlePath), $"{articlePath}: field 'paragraphs': missing or not an array");
                    continue;
                }
                var title = article["title"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : "";
                for (var p = 0; p < paragraphs.Count; p++)
                {
                    var paragraphPath = $"{articlePath}.paragraphs[{p}]";
                    var problems = new List<string>();
                    string? context = null;
                    JsonArray? qas = null;
                    if (paragraphs[p] is JsonObject paragraph)
                    {
                        context = Fields.String(paragraph, "context", problems);
                        qas = paragraph["qas"] as JsonArray;
                        if (qas is null) problems.Add("field 'qas': missing or not an array");
                    }
                    else problems.Add("expected an object");
                    if (problems.Count > 0 || qas is null)
                    {
                        foreach (var problem in problems) builder.Problem(file, document.LineOf(paragraphPath), problem);
                        continue;
                    }
                    for (var q = 0; q < qas.Count; q++)
                        ReadQuestion(builder, file, split, document, $"{paragraphPath}.qas[{q}]", qas[q], context!, title);
                }
            }
        }
        return builder.Build();
    }

    private void ReadQuestion(ImportBuilder builder, string file, string split, JsonDocumentLines document, string path, JsonNode? node, string context, string title)
    {
        var line = document.LineOf(path);
        if (node is not JsonObject qa)
        {
            builder.Problem(file, line, "question: expected an object");
            return;
        }
        var problems = new List<string>();
        var id = Fields.String(qa, "id", problems)?.Trim();
        var question = Fields.String(qa, "question", problems);
        var texts = new JsonArray();
        var starts = new JsonArray();
        if (qa["answers"] is not JsonArray answers || answers.Count == 0)
            problems.Add("field 'answers': missing, not an array, or empty");
        else
            for (var i = 0; i < answers.Count; i++)
            {
                if (answers[i] is not JsonObject answer)
                {
                    problems.Add($"field 'answers[{i}]': expected an object");
                    continue;
                }
                var answerProblems = new List<string>();
                var text = Fields.String(answer, "text", answerProblems);
                // answer_start is kept as published; about 2 % of the official dev offsets do not point at the text,
                // and the official scorer never reads them.
                var start = answer["answer_start"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : (long?)null;
                problems.AddRange(answerProblems.Select(p => p.Replace("field '", $"field 'answers[{i}].", StringComparison.Ordinal)));
                if (text is null) continue;
                texts.Add(text);
                starts.Add(start is { } offset ? JsonValue.Create(offset) : null);
            }
        if (problems.Count > 0)
        {
            foreach (var problem in problems) builder.Problem(file, line, problem);
            return;
        }
        var fields = new JsonObject
        {
            ["title"] = title,
            ["context"] = context,
            ["question"] = question,
            ["answers"] = texts,
            ["answer_starts"] = starts,
        };
        builder.Add(Format, split, id!, fields, file, line);
    }
}

/// <summary>Finds whole-document JSON files by name pattern and parses them with line positions.</summary>
internal static class DocumentFiles
{
    public static IEnumerable<(string Split, string File)> Find(string path, Regex name, string expects, ImportBuilder builder)
    {
        if (File.Exists(path))
        {
            var match = name.Match(Path.GetFileName(path));
            return [(match.Success ? match.Groups["split"].Value : Path.GetFileNameWithoutExtension(path), path)];
        }
        if (!Directory.Exists(path))
        {
            builder.Fatal(path, 0, $"no such file or folder; expected {expects}");
            return [];
        }
        var found = Directory.EnumerateFiles(path).Select(f => (File: f, Match: name.Match(Path.GetFileName(f))))
            .Where(f => f.Match.Success).OrderBy(f => f.File, StringComparer.Ordinal)
            .Select(f => (f.Match.Groups["split"].Value, f.File)).ToList();
        if (found.Count == 0) builder.Fatal(path, 0, $"no data files found; expected {expects}");
        return found;
    }

    public static JsonDocumentLines? Parse(string file, ImportBuilder builder)
    {
        var document = JsonDocumentLines.Parse(File.ReadAllBytes(file), out var error, out var errorLine);
        if (document is null) builder.Fatal(file, errorLine, error!);
        return document;
    }
}
