using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Exams;

/// <summary>
/// CMMLU as published: <c>{dev,test}/&lt;subject&gt;.csv</c> with the header <c>,Question,A,B,C,D,Answer</c> (the empty
/// first cell is a pandas index, kept as the item id). One task per file. Subject names and categories are not in the
/// data files; the shipped suite manifest (datasets/cmmlu/suite.json) carries them.
/// </summary>
public sealed class CmmluReader : IFormatReader
{
    public static readonly IReadOnlyList<string> Splits = ["dev", "test"];
    private static readonly string[][] Headers = [["", "Question", "A", "B", "C", "D", "Answer"]];

    public string Format => "cmmlu";
    public string DefaultSuite => "cmmlu";
    public string Expects => "a folder with dev/ and/or test/ holding <subject>.csv";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var splits = Splits.Where(s => Directory.Exists(Path.Combine(path, s))).ToList();
        if (splits.Count == 0) builder.Fatal(path, 0, $"no dev/ or test/ folder; expected {Expects}");
        foreach (var split in splits)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(path, split), "*.csv").Order(StringComparer.Ordinal))
            {
                var subject = Path.GetFileNameWithoutExtension(file);
                ExamCsv.Read(builder, file, subject, split, Headers, "", "Question", "Answer",
                    new Dictionary<string, string> { ["subject"] = subject });
            }
        return builder.Build();
    }
}
