using Evals.Benchmarks.Suites.Import;
using Evals.Benchmarks.Suites.Reading;

namespace Evals.Benchmarks.Suites.Clue;

/// <summary>
/// <c>evals import clue --path DIR</c>: a folder holding one subfolder per CLUE task. A task's folder may be named as the
/// task (<c>afqmc</c>), as CLUE's zip names it (<c>afqmc_public</c>), or as the shared copies are (<c>clue_afqmc</c>,
/// <c>fewclue/tnews</c>); the first of those that holds data files is read. Tasks without a folder are noted, not errors.
/// </summary>
public sealed class ClueFolderReader : IFormatReader
{
    private static readonly string[] NotData = ["labels.json", "label_index2en2zh.json", "test.json", "unlabeled.json"];

    public string Format => "clue";
    public string DefaultSuite => "clue";
    public string Expects => "a folder with a subfolder per CLUE task (afqmc, ocnli, tnews, iflytek, csl, cluewsc, chid, cmrc2018, c3)";

    public static IReadOnlyList<IFormatReader> TaskReaders { get; } =
        [.. ClueFormats.All.Select(f => (IFormatReader)new ClueJsonLinesReader(f)), new ChidReader(), new Cmrc2018Reader(), new C3Reader()];

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        if (!Directory.Exists(path))
        {
            builder.Fatal(path, 0, $"no such folder; expected {Expects}");
            return builder.Build();
        }
        var read = 0;
        foreach (var reader in TaskReaders)
        {
            var folder = Candidates(path, reader.Format).FirstOrDefault(HoldsData);
            if (folder is null)
            {
                builder.Note($"{path}: no folder for {reader.Format}");
                continue;
            }
            read++;
            builder.Merge(reader.Read(folder, skipBad));
        }
        if (read == 0) builder.Fatal(path, 0, $"no CLUE task folders found; expected {Expects}");
        return builder.Build();
    }

    private static IEnumerable<string> Candidates(string root, string task) =>
        new[] { task, $"{task}_public", $"clue_{task}", Path.Combine("fewclue", task) }.Select(c => Path.Combine(root, c)).Where(Directory.Exists);

    private static bool HoldsData(string folder) =>
        Directory.EnumerateFiles(folder, "*.json").Any(f => !NotData.Contains(Path.GetFileName(f), StringComparer.Ordinal));
}
