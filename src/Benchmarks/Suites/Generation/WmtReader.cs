using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Generation;

/// <summary>
/// A WMT general-task test set as published in plain text (wmt-conference/wmt22-news-systems <c>txt/</c>): one source
/// file <c>sources/&lt;set&gt;.en-zh.src.en</c> and reference files <c>references/&lt;set&gt;.en-zh.ref.&lt;X&gt;.zh</c>,
/// line-aligned. Each line becomes <c>{id, source, references}</c> (references in the order A, B, …) of task
/// <c>wmt22_en_zh</c>, split <c>test</c>, its id the line number. Files of different lengths are refused whole.
/// </summary>
public sealed class WmtReader : IFormatReader
{
    public const string TaskName = "wmt22_en_zh";

    public string Format => "wmt";
    public string DefaultSuite => "cuge";
    public string Expects => "a WMT txt/ folder with sources/<set>.en-zh.src.en and references/<set>.en-zh.ref.<X>.zh (or the folder above it)";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var root = Directory.Exists(Path.Combine(path, "txt")) ? Path.Combine(path, "txt") : path;
        var sources = Directory.Exists(Path.Combine(root, "sources")) ? Directory.GetFiles(Path.Combine(root, "sources"), "*.en-zh.src.en") : [];
        if (sources.Length != 1)
        {
            builder.Fatal(Path.Combine(root, "sources"), 0, sources.Length == 0 ? $"no *.en-zh.src.en file; expected {Expects}" : "more than one *.en-zh.src.en file");
            return builder.Build();
        }
        var set = Path.GetFileName(sources[0])[..^".en-zh.src.en".Length];
        var referenceFolder = Path.Combine(root, "references");
        var references = Directory.Exists(referenceFolder)
            ? Directory.GetFiles(referenceFolder, $"{set}.en-zh.ref.*.zh").Order(StringComparer.Ordinal).ToArray() : [];
        if (references.Length == 0)
        {
            builder.Fatal(referenceFolder, 0, $"no {set}.en-zh.ref.*.zh file");
            return builder.Build();
        }
        var sourceLines = Lines(sources[0]);
        var referenceLines = references.Select(Lines).ToArray();
        var misaligned = false;
        for (var r = 0; r < references.Length; r++)
            if (referenceLines[r].Length != sourceLines.Length)
            {
                misaligned = true;
                builder.Fatal(references[r], Math.Min(referenceLines[r].Length, sourceLines.Length) + 1,
                    $"{referenceLines[r].Length} lines, but the source has {sourceLines.Length}: the files must be line-aligned");
            }
        if (misaligned) return builder.Build();
        for (var i = 0; i < sourceLines.Length; i++)
        {
            if (sourceLines[i].Trim().Length == 0) { builder.Problem(sources[0], i + 1, "field 'source': empty line"); continue; }
            var empty = Enumerable.Range(0, references.Length).FirstOrDefault(r => referenceLines[r][i].Trim().Length == 0, -1);
            if (empty >= 0) { builder.Problem(references[empty], i + 1, "field 'references': empty line"); continue; }
            var fields = new JsonObject
            {
                ["source"] = sourceLines[i],
                ["references"] = new JsonArray(referenceLines.Select(lines => (JsonNode)lines[i]).ToArray()),
            };
            if (JsonLines.UnstorableText(fields) is { } unstorable) { builder.Problem(sources[0], i + 1, unstorable); continue; }
            builder.Add(TaskName, "test", (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), fields, sources[0], i + 1);
        }
        return builder.Build();
    }

    /// <summary>The file's lines without line ends; a final newline ends the last line, it does not start another.</summary>
    private static string[] Lines(string file)
    {
        var text = File.ReadAllText(file).TrimStart('\uFEFF');
        if (text.EndsWith('\n')) text = text[..^1];
        return text.Length == 0 ? [] : text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
    }
}
