using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Exams;

/// <summary>
/// C-Eval as published in <c>ceval-exam.zip</c>: <c>subject_mapping.json</c> (<c>{subject: [English name, Chinese name,
/// category]}</c>) and <c>{dev,val}/&lt;subject&gt;_{dev,val}.csv</c>. One task per subject, named by its key. The test
/// split's answers are hidden (scored at cevalbenchmark.com), so <c>test/</c> is not imported.
/// </summary>
public sealed class CevalReader : IFormatReader
{
    public const string MappingFile = "subject_mapping.json";
    public static readonly IReadOnlyList<string> LabelledSplits = ["dev", "val"];

    private static readonly string[][] Headers =
    [
        ["id", "question", "A", "B", "C", "D", "answer"],
        ["id", "question", "A", "B", "C", "D", "answer", "explanation"],
    ];

    public string Format => "ceval";
    public string DefaultSuite => "ceval";
    public string Expects => $"a folder with {MappingFile} and dev/, val/ holding <subject>_<split>.csv";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var subjects = ReadMapping(path, builder);
        if (subjects is null) return builder.Build();
        var splits = LabelledSplits.Where(s => Directory.Exists(Path.Combine(path, s))).ToList();
        if (splits.Count == 0) builder.Fatal(path, 0, $"no dev/ or val/ folder; expected {Expects}");
        if (Directory.Exists(Path.Combine(path, "test"))) builder.Note($"{Path.Combine(path, "test")}: not imported (C-Eval's test answers are hidden)");
        foreach (var (subject, info) in subjects)
            builder.Describe(subject, info);
        foreach (var split in splits)
        {
            var folder = Path.Combine(path, split);
            foreach (var file in Directory.EnumerateFiles(folder, "*.csv").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                if (!name.EndsWith($"_{split}", StringComparison.Ordinal) || !subjects.Exists(k => k.Key == name[..^(split.Length + 1)]))
                    builder.Problem(file, 0, $"not a subject of {MappingFile} (expected <subject>_{split}.csv)");
            }
            foreach (var (subject, info) in subjects)
            {
                var file = Path.Combine(folder, $"{subject}_{split}.csv");
                if (!File.Exists(file))
                {
                    builder.Fatal(file, 0, $"missing: subject '{subject}' is in {MappingFile}");
                    continue;
                }
                ExamCsv.Read(builder, file, subject, split, Headers, "id", "question", "answer",
                    new Dictionary<string, string> { ["subject"] = subject });
            }
        }
        return builder.Build();
    }

    /// <summary>Subject key → <c>name_en</c>, <c>name_zh</c>, <c>category</c>, in the file's order.</summary>
    private static List<KeyValuePair<string, IReadOnlyDictionary<string, string>>>? ReadMapping(string folder, ImportBuilder builder)
    {
        var file = Path.Combine(folder, MappingFile);
        if (!File.Exists(file))
        {
            builder.Fatal(file, 0, $"missing; expected {MappingFile} beside dev/ and val/");
            return null;
        }
        var document = JsonDocumentLines.Parse(File.ReadAllBytes(file), out var error, out var errorLine);
        if (document is null)
        {
            builder.Fatal(file, errorLine, error!);
            return null;
        }
        if (document.Root is not JsonObject root || root.Count == 0)
        {
            builder.Fatal(file, 1, "expected an object {subject: [English name, Chinese name, category]}");
            return null;
        }
        var subjects = new List<KeyValuePair<string, IReadOnlyDictionary<string, string>>>();
        foreach (var (subject, value) in root)
        {
            var names = value is JsonArray { Count: 3 } a && a.All(n => n is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0)
                ? a.Select(n => n!.GetValue<string>()).ToList() : null;
            if (names is null)
            {
                builder.Fatal(file, document.LineOf($"$.{subject}"), $"subject '{subject}': expected [English name, Chinese name, category]");
                continue;
            }
            subjects.Add(new(subject, new Dictionary<string, string> { ["name_en"] = names[0], ["name_zh"] = names[1], ["category"] = names[2] }));
        }
        return builder.Build().Succeeded ? subjects : null;
    }
}
