using System.Globalization;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Clue;

/// <summary>
/// CHID idiom cloze in FewCLUE's layout: <c>content</c> with one <c>#idiom#</c> blank, seven <c>candidates</c>, and
/// <c>answer</c>, the 0-based index of the right idiom. Scored as seven-way multiple choice.
/// CLUE's original layout (several blanks per passage, answers in a separate file) is not read: no copy was available.
/// </summary>
public sealed class ChidReader : IFormatReader
{
    public const string Blank = "#idiom#";

    public string Format => "chid";
    public string DefaultSuite => "clue";
    public string Expects => $"a folder with any of {string.Join(", ", ClueJsonLinesReader.LabelledSplits.Select(s => s + ".json"))} in FewCLUE's CHID layout, or one such file";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        foreach (var (split, file) in ClueFiles.Find(path, ClueJsonLinesReader.LabelledSplits, Expects, builder))
        {
            foreach (var line in JsonLines.Read(JsonLines.ReadText(file)))
            {
                if (line.Object is not { } obj)
                {
                    builder.Problem(file, line.Line, line.Error!);
                    continue;
                }
                var problems = new List<string>();
                var id = Fields.Id(obj, "id", problems);
                var content = Fields.String(obj, "content", problems);
                var candidates = Fields.Strings(obj, "candidates", problems, min: 2);
                var answerText = Fields.Label(obj, "answer", problems);
                if (content is not null)
                {
                    var blanks = Count(content, Blank);
                    if (blanks != 1) problems.Add($"field 'content': {blanks} '{Blank}' blanks, expected exactly one");
                }
                if (candidates is not null && candidates.Distinct().Count() != candidates.Count)
                    problems.Add("field 'candidates': the same idiom appears twice");
                if (answerText is not null && candidates is not null
                    && (!int.TryParse(answerText, NumberStyles.None, CultureInfo.InvariantCulture, out var answer) || answer >= candidates.Count))
                    problems.Add($"field 'answer': '{answerText}' is not an index below {candidates.Count} into 'candidates'");
                if (problems.Count > 0)
                {
                    foreach (var problem in problems) builder.Problem(file, line.Line, problem);
                    continue;
                }
                // Derived: the passage with a visible blank, for prompt templates.
                obj["content_blank"] = content!.Replace(Blank, "____", StringComparison.Ordinal);
                builder.Add(Format, split, id!, obj, file, line.Line);
            }
        }
        return builder.Build();
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
