using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Evals.Benchmarks.Suites.Import;
using Evals.Benchmarks.Suites.Reading;

namespace Evals.Benchmarks.Suites.Maths;

/// <summary>
/// CMATH (XiaoMi/cmath) as published: JSON Lines <c>{"grade": 1..6, "input", "golden", "reasoning_step", "num_digits"}</c>
/// in <c>cmath_dev.jsonl</c> (the repository's <c>datasets/</c>) and, where obtained from Hugging Face,
/// <c>cmath_test.jsonl</c>; split named after the file. <c>golden</c> is a string holding one number (integer, decimal,
/// fraction such as 2/6, or percentage); the item id is the line number. <c>distractor.jsonl</c> (the robustness set) is
/// a different task and is not read.
/// </summary>
public sealed partial class CmathReader : IFormatReader
{
    public const string TaskName = "cmath";

    public string Format => "cmath";
    public string DefaultSuite => "math";
    public string Expects => "the XiaoMi/cmath checkout, its datasets/ folder, or cmath_dev.jsonl / cmath_test.jsonl";

    [GeneratedRegex(@"^cmath_(?<split>dev|test)\.jsonl$")]
    private static partial Regex FileName();

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var folder = Directory.Exists(Path.Combine(path, "datasets")) ? Path.Combine(path, "datasets") : path;
        foreach (var (split, file) in DocumentFiles.Find(folder, FileName(), Expects, builder))
            ReadFile(builder, split, file);
        return builder.Build();
    }

    private void ReadFile(ImportBuilder builder, string split, string file)
    {
        foreach (var line in JsonLines.Read(JsonLines.ReadText(file)))
        {
            if (line.Object is not { } obj)
            {
                builder.Problem(file, line.Line, line.Error!);
                continue;
            }
            var problems = new List<string>();
            var grade = Fields.Integer(obj, "grade", problems);
            if (grade is < 1 or > 6) problems.Add($"field 'grade': {grade} is not a school grade 1..6");
            Fields.String(obj, "input", problems);
            var golden = Fields.String(obj, "golden", problems);
            if (golden is not null && NumberScanner.ParseWhole(golden) is null) problems.Add($"field 'golden': '{golden}' is not one number");
            foreach (var optional in new[] { "reasoning_step", "num_digits" })
                if (obj.ContainsKey(optional)) Fields.Integer(obj, optional, problems);
            if (problems.Count > 0)
            {
                foreach (var problem in problems) builder.Problem(file, line.Line, problem);
                continue;
            }
            builder.Add(TaskName, split, line.Line.ToString(CultureInfo.InvariantCulture), obj, file, line.Line);
        }
    }
}
