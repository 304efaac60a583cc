namespace Evals.Benchmarks.Metrics;

/// <summary>
/// Averages over subjects, as C-Eval and CMMLU report them: each subject's score first, then the unweighted mean of the
/// subjects in each category and of all subjects ("Average"). A subject may sit in several categories (CMMLU's
/// "China specific" overlaps the others; C-Eval Hard overlaps STEM), and counts once in each, and once overall.
/// A benchmark whose overall is a mean of category averages instead (AlignBench's 总分 = (推理 + 语言) / 2) names those
/// categories in <c>overallOf</c>; those absent from the run are left out of it.
/// </summary>
public static class CategoryAverages
{
    public const string Overall = "overall";

    public static IReadOnlyDictionary<string, double> Compute(IReadOnlyList<(string Subject, IReadOnlyList<string> Categories, double Score)> subjects,
        IReadOnlyList<string>? overallOf = null)
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (subjects.Count == 0) return result;
        foreach (var category in subjects.SelectMany(s => s.Categories).Distinct())
            result[category] = subjects.Where(s => s.Categories.Contains(category)).Average(s => s.Score);
        var parts = overallOf?.Where(result.ContainsKey).Select(c => result[c]).ToList();
        result[Overall] = parts is { Count: > 0 } ? parts.Average() : subjects.Average(s => s.Score);
        return result;
    }
}
