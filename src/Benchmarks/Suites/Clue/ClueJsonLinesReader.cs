using System.Globalization;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Clue;

/// <summary>
/// Reads a CLUE or FewCLUE task folder (or one of its files). Each labelled file becomes a split named after the file:
/// CLUE's <c>train.json</c>/<c>dev.json</c>, FewCLUE's <c>train_few_all.json</c>/<c>dev_few_all.json</c>/<c>test_public.json</c>.
/// Unlabelled test files (<c>test.json</c>, <c>unlabeled.json</c>) are left out: their labels are hidden by the leaderboard.
/// </summary>
public sealed class ClueJsonLinesReader(ClueTaskFormat task) : IFormatReader
{
    public static readonly IReadOnlyList<string> LabelledSplits = ["train", "dev", "train_few_all", "dev_few_all", "test_public"];

    public string Format => task.Name;
    public string DefaultSuite => "clue";
    public string Expects => $"a folder with any of {string.Join(", ", LabelledSplits.Select(s => s + ".json"))} (CLUE/FewCLUE JSON Lines), or one such file";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        foreach (var (split, file) in ClueFiles.Find(path, LabelledSplits, Expects, builder))
            ReadFile(builder, split, file);
        return builder.Build();
    }

    private void ReadFile(ImportBuilder builder, string split, string file)
    {
        var excluded = 0;
        foreach (var line in JsonLines.Read(JsonLines.ReadText(file)))
        {
            if (line.Object is not { } obj)
            {
                builder.Problem(file, line.Line, line.Error!);
                continue;
            }
            var problems = new List<string>();
            var id = task.IdField is null ? (line.Line - 1).ToString(CultureInfo.InvariantCulture) : Fields.Id(obj, task.IdField, problems);
            var label = Fields.Label(obj, task.LabelField, problems);
            if (label is not null && task.Excluded.Contains(label))
            {
                excluded++;
                continue;
            }
            if (label is not null && !task.Labels.Contains(label))
                problems.Add($"field '{task.LabelField}': unknown label '{label}'; expected one of {string.Join(", ", task.Labels.Order(StringComparer.Ordinal))}");
            task.Check(obj, problems);
            if (problems.Count > 0)
            {
                foreach (var problem in problems) builder.Problem(file, line.Line, problem);
                continue;
            }
            // Labels are stored as strings whatever the file used: FewCLUE writes TNEWS/IFLYTEK labels as integers.
            obj[task.LabelField] = label;
            builder.Add(Format, split, id!, obj, file, line.Line);
        }
        if (excluded > 0)
            builder.Note($"{file}: {excluded} items labelled {string.Join("/", task.Excluded.Select(e => $"'{e}'"))} left out, as the {task.Name.ToUpperInvariant()} authors direct");
    }
}

/// <summary>Finds a CLUE-style task's files: a folder of <c>&lt;split&gt;.json</c> files or a single file.</summary>
internal static class ClueFiles
{
    public static IEnumerable<(string Split, string File)> Find(string path, IReadOnlyList<string> splits, string expects, ImportBuilder builder)
    {
        if (File.Exists(path)) return [(Path.GetFileNameWithoutExtension(path), path)];
        if (!Directory.Exists(path))
        {
            builder.Fatal(path, 0, $"no such file or folder; expected {expects}");
            return [];
        }
        var found = splits.Select(s => (Split: s, File: Path.Combine(path, s + ".json"))).Where(f => File.Exists(f.File)).ToList();
        if (found.Count == 0) builder.Fatal(path, 0, $"no data files found; expected {expects}");
        return found;
    }
}
