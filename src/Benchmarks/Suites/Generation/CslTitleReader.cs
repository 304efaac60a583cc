using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Generation;

/// <summary>
/// CSL title generation as published (ydli-ai/CSL <c>benchmark/ts/{dev,test}.tsv</c>): no header, three tab-separated
/// columns <c>to title</c>, the abstract, the title. Split on tabs only, never as quoted CSV (8 rows per file begin a
/// field with <c>"</c>). Each row becomes <c>{id, abstract, title}</c> of task <c>csl_title</c>, its id the split and
/// line (<c>dev-12</c>: the files carry none).
/// </summary>
public sealed class CslTitleReader : IFormatReader
{
    public const string TaskName = "csl_title";
    private static readonly string[] Splits = ["dev", "test"];

    public string Format => "csl_ts";
    public string DefaultSuite => "cuge";
    public string Expects => "CSL's benchmark/ts folder with dev.tsv and test.tsv (or a folder above it holding benchmark/ts)";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var folder = new[] { path, Path.Combine(path, "ts"), Path.Combine(path, "benchmark", "ts") }
            .FirstOrDefault(f => Splits.Any(s => File.Exists(Path.Combine(f, $"{s}.tsv"))));
        if (folder is null)
        {
            builder.Fatal(path, 0, $"no dev.tsv or test.tsv; expected {Expects}");
            return builder.Build();
        }
        foreach (var split in Splits)
        {
            var file = Path.Combine(folder, $"{split}.tsv");
            if (!File.Exists(file)) continue;
            var lines = File.ReadAllText(file).TrimStart('\uFEFF').Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].TrimEnd('\r');
                if (line.Length == 0) continue;
                var columns = line.Split('\t');
                if (columns.Length != 3)
                {
                    builder.Problem(file, i + 1, $"expected 3 tab-separated columns (prompt, abstract, title), found {columns.Length}");
                    continue;
                }
                if (columns[1].Trim().Length == 0) { builder.Problem(file, i + 1, "field 'abstract' (column 2): empty"); continue; }
                if (columns[2].Trim().Length == 0) { builder.Problem(file, i + 1, "field 'title' (column 3): empty"); continue; }
                if (JsonLines.UnstorableText(JsonValue.Create(columns[1] + columns[2])) is { } unstorable) { builder.Problem(file, i + 1, unstorable); continue; }
                builder.Add(TaskName, split, $"{split}-{i + 1}", new JsonObject { ["abstract"] = columns[1].Trim(), ["title"] = columns[2].Trim() }, file, i + 1);
            }
        }
        return builder.Build();
    }
}
