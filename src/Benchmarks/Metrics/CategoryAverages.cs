namespace Evals.Benchmarks.Metrics;

/// <summary>
/// Averages over subjects, as C-Eval and CMMLU report them: each subject's score first, then the unweighted mean of the
/// subjects in each category and of all subjects ("Average"). A subject may sit in several categories (CMMLU's
/// "China specific" overlaps the others; C-Eval Hard overlaps STEM), and counts once in each, and once overall.
/// </summary>
public static class CategoryAverages
{
    public const string Overall = "overall";

    public static IReadOnlyDictionary<string, double> Compute(IReadOnlyList<(string Subject, IReadOnlyList<string> Categories, double Score)> subjects)
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (subjects.Count == 0) return result;
        foreach (var category in subjects.SelectMany(s => s.Categories).Distinct())
            result[category] = subjects.Where(s => s.Categories.Contains(category)).Average(s => s.Score);
        result[Overall] = subjects.Average(s => s.Score);
        return result;
    }
}
