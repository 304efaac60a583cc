using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Judging;

/// <summary>One answer graded by people: what a single-grading judge is shown, and the people's grade (1–10) it is compared with.</summary>
public sealed record SingleGradeLabel(string Id, int Line, string Category, string Question, string? Reference, IReadOnlyList<GradeDimension> Dimensions,
    string Answer, double Grade)
{
    /// <summary>The judge's messages, as a run of that prompt family builds them for a one-turn item.</summary>
    public IReadOnlyList<ChatTurn> JudgeMessages(string style) => style == JudgePromptStyles.AlignBench
        ? SingleGradePrompts.AlignBench(Category, Dimensions, Question, Reference!, Answer)
        : SingleGradePrompts.MtBench(style, 1, [Question], [Answer],
            Reference is not null && SingleGradePrompts.MtBenchReferenceCategories.Contains(Category) ? [Reference] : null);
}

/// <summary>
/// A labels file for <c>evals judge-check --mode single</c>: JSON Lines, one graded answer a line,
/// <c>{"question_id", "category", "question", "answer", "grade", "reference"?, "dimensions"?}</c>. <c>grade</c> is the
/// people's grade on the benchmarks' 1–10 scale (a mean of several raters may be fractional); <c>reference</c> is what
/// the judge compares with (AlignBench always; MT-Bench for math, reasoning and coding, as FastChat); <c>dimensions</c>
/// (<c>[{name, definition}]</c>) is what an AlignBench judge rates on. None of the shared data sets ships such grades
/// (AlignBench, MT-Bench and MT-Bench-ZH publish no per-answer judgments; MT-Bench's human judgments are pairwise), so
/// the file is one's own. Problems name the file, the line and the field.
/// </summary>
public static class SingleGradeLabels
{
    public static (IReadOnlyList<SingleGradeLabel> Labels, IReadOnlyList<ImportProblem> Problems) Read(string file, string style)
    {
        var labels = new List<SingleGradeLabel>();
        var problems = new List<ImportProblem>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in JsonLines.Read(JsonLines.ReadText(file)))
        {
            if (line.Object is not { } obj)
            {
                problems.Add(new ImportProblem(file, line.Line, line.Error!));
                continue;
            }
            var found = new List<string>();
            var id = Fields.Id(obj, "question_id", found);
            var category = Fields.String(obj, "category", found);
            var question = Fields.String(obj, "question", found);
            var answer = Fields.String(obj, "answer", found, allowEmpty: true);
            var grade = Grade(obj, found);
            string? reference = null;
            if (obj["reference"] is not null || style == JudgePromptStyles.AlignBench) reference = Fields.String(obj, "reference", found);
            var dimensions = style == JudgePromptStyles.AlignBench ? Dimensions(obj, found) : [];
            if (id is not null && !ids.TryAdd(id, line.Line)) found.Add($"field 'question_id': '{id}' is also on line {ids[id]}");
            if (found.Count > 0)
            {
                problems.AddRange(found.Select(f => new ImportProblem(file, line.Line, f)));
                continue;
            }
            labels.Add(new SingleGradeLabel(id!, line.Line, category!, question!, reference, dimensions, answer!, grade!.Value));
        }
        if (labels.Count == 0 && problems.Count == 0) problems.Add(new ImportProblem(file, 1, "no graded answers", Fatal: true));
        return (labels, problems);
    }

    private static double? Grade(JsonObject obj, List<string> problems)
    {
        if (obj["grade"] is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var grade))
        {
            if (grade is >= 1 and <= 10) return grade;
            problems.Add($"field 'grade': {grade.ToString(System.Globalization.CultureInfo.InvariantCulture)} is outside 1–10");
            return null;
        }
        problems.Add(obj["grade"] is null ? "field 'grade': missing" : $"field 'grade': expected a number 1–10, found {JsonLines.Describe(obj["grade"])}");
        return null;
    }

    private static IReadOnlyList<GradeDimension> Dimensions(JsonObject obj, List<string> problems)
    {
        if (obj["dimensions"] is not JsonArray array || array.Count == 0)
        {
            problems.Add("field 'dimensions': an AlignBench judge rates on dimensions; expected a non-empty array of {name, definition}");
            return [];
        }
        var dimensions = new List<GradeDimension>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject d && d["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String && d["definition"] is JsonValue f
                && f.GetValueKind() == JsonValueKind.String)
                dimensions.Add(new GradeDimension(n.GetValue<string>(), f.GetValue<string>()));
            else problems.Add($"field 'dimensions[{i}]': expected {{name, definition}} strings");
        }
        return dimensions;
    }
}

/// <summary>
/// A single-grading judge against people's grades: Spearman's rho and Kendall's tau-b over the items the judge graded
/// (<see cref="RankCorrelation"/>), the share graded exactly alike and within one point, and the items with no readable
/// grade (left out, counted).
/// </summary>
public sealed record SingleGradeAgreement(int Items, int Unjudged, double Spearman, double KendallTauB, double ExactAgreement, double WithinOne)
{
    /// <param name="judge">The judge's grade per label, null where its reply had none.</param>
    public static SingleGradeAgreement Compute(IReadOnlyList<double> people, IReadOnlyList<double?> judge)
    {
        if (people.Count != judge.Count) throw new ArgumentException($"{people.Count} labels but {judge.Count} judge grades");
        var pairs = Enumerable.Range(0, people.Count).Where(i => judge[i] is not null).Select(i => (People: people[i], Judge: judge[i]!.Value)).ToList();
        var (p, j) = (pairs.Select(x => x.People).ToList(), pairs.Select(x => x.Judge).ToList());
        return new SingleGradeAgreement(pairs.Count, people.Count - pairs.Count,
            Statistics.RankCorrelation.Spearman(p, j), Statistics.RankCorrelation.KendallTauB(p, j),
            pairs.Count == 0 ? double.NaN : 100.0 * pairs.Count(x => x.People == x.Judge) / pairs.Count,
            pairs.Count == 0 ? double.NaN : 100.0 * pairs.Count(x => Math.Abs(x.People - x.Judge) <= 1) / pairs.Count);
    }
}
