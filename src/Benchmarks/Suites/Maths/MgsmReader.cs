using System.Globalization;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Maths;

/// <summary>
/// MGSM's Chinese split (google-research/url-nlp, <c>mgsm/mgsm_zh.tsv</c>) as published: tab-separated, no header, two
/// columns <c>question</c> and <c>answer</c> (an integer, sometimes with thousands separators: 2,125), UTF-8. One split,
/// <c>test</c> (they are GSM8K test problems); the item id is the line number.
/// </summary>
public sealed class MgsmReader : IFormatReader
{
    public const string TaskName = "mgsm_zh";
    public const string FileName = "mgsm_zh.tsv";

    public string Format => "mgsm";
    public string DefaultSuite => "math";
    public string Expects => $"the google-research/url-nlp checkout, its mgsm/ folder, or {FileName}";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var file = new[] { path, Path.Combine(path, FileName), Path.Combine(path, "mgsm", FileName) }.FirstOrDefault(File.Exists);
        if (file is null)
        {
            builder.Fatal(path, 0, $"no {FileName} found; expected {Expects}");
            return builder.Build();
        }
        var text = JsonLines.ReadText(file);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var number = i + 1;
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var columns = line.Split('\t');
            if (columns.Length != 2)
            {
                builder.Problem(file, number, $"expected 2 tab-separated columns (question, answer), found {columns.Length}");
                continue;
            }
            var (question, answer) = (columns[0].Trim(), columns[1].Trim());
            if (question.Length == 0) builder.Problem(file, number, "field 'question': empty");
            else if (NumberScanner.ParseWhole(answer) is not { IsInteger: true })
                builder.Problem(file, number, $"field 'answer': '{answer}' is not an integer");
            else if (JsonLines.UnstorableText(new JsonObject { ["question"] = question }) is { } unstorable)
                builder.Problem(file, number, unstorable);
            else
                builder.Add(TaskName, "test", number.ToString(CultureInfo.InvariantCulture), new JsonObject { ["question"] = question, ["answer"] = answer }, file, number);
        }
        return builder.Build();
    }
}
