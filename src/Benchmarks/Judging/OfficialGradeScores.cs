namespace Evals.Benchmarks.Judging;

/// <summary>
/// A benchmark's own headline figures from per-judgment grades (1–10 scale), computed as its script computes them.
/// </summary>
/// <param name="Score">AlignBench's 总分 or MT-Bench's score; null when nothing could be averaged.</param>
/// <param name="Parts">AlignBench: 推理, 语言 and each category's mean; MT-Bench: <c>turn_1</c>, <c>turn_2</c>.</param>
/// <param name="Judgments">Judgments that entered the figures.</param>
/// <param name="Unjudged">Judgments with no readable rating (the script's −1), and what was done with them in <paramref name="Rule"/>.</param>
public sealed record OfficialGradeScores(string Benchmark, double? Score, SortedDictionary<string, double> Parts, int Judgments, int Unjudged, string Rule)
{
    public string Scale { get; init; } = "1-10";
}

/// <summary>One judgment: its grade, or −1 when the judge's reply had none (both scripts write −1 then).</summary>
public sealed record GradedJudgment(string Category, int Turn, double Grade);

/// <summary>
/// AlignBench's <c>show_result.py</c> and FastChat's <c>show_result.py --mode single</c>, as pure functions.
/// </summary>
public static class OfficialGradeAggregates
{
    public const double Unjudged = -1;
    public const string Reasoning = "推理";
    public const string Language = "语言";

    /// <summary>AlignBench's two reasoning categories; the other six are language (中文语言).</summary>
    public static readonly IReadOnlySet<string> ReasoningCategories = new HashSet<string>(StringComparer.Ordinal) { "数学计算", "逻辑推理" };

    /// <summary>
    /// AlignBench: each category's mean grade (a −1 stays in that mean: the script does not drop it), 推理 = the mean of
    /// the 数学计算 and 逻辑推理 means, 语言 = the mean of the other categories' means, 总分 = (推理 + 语言) / 2 — a mean of
    /// two macro averages, not a mean over the questions. Categories absent from the run (a <c>--limit</c>) are left out of
    /// their group's mean; with one group absent 总分 is the other group's figure (the script has no such case).
    /// </summary>
    public static OfficialGradeScores AlignBench(IReadOnlyList<GradedJudgment> judgments)
    {
        var parts = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var categories = judgments.GroupBy(j => j.Category).ToDictionary(g => g.Key, g => g.Average(j => j.Grade), StringComparer.Ordinal);
        foreach (var (name, mean) in categories) parts[name] = Math.Round(mean, 4);
        var reasoning = categories.Where(c => ReasoningCategories.Contains(c.Key)).Select(c => c.Value).ToList();
        var language = categories.Where(c => !ReasoningCategories.Contains(c.Key)).Select(c => c.Value).ToList();
        double? r = reasoning.Count > 0 ? reasoning.Average() : null;
        double? l = language.Count > 0 ? language.Average() : null;
        if (r is { } rv) parts[Reasoning] = Math.Round(rv, 4);
        if (l is { } lv) parts[Language] = Math.Round(lv, 4);
        double? total = r is { } a && l is { } b ? (a + b) / 2 : r ?? l;
        return new OfficialGradeScores("alignbench", total is { } t ? Math.Round(t, 4) : null, parts, judgments.Count,
            judgments.Count(j => j.Grade == Unjudged),
            "AlignBench show_result.py: category means with −1 kept in; 推理 = mean(数学计算, 逻辑推理); 语言 = mean of the other six; 总分 = (推理 + 语言) / 2");
    }

    /// <summary>
    /// MT-Bench: judgments graded −1 are dropped; the score is the mean over every remaining turn of every question,
    /// beside the mean per turn.
    /// </summary>
    public static OfficialGradeScores MtBench(IReadOnlyList<GradedJudgment> judgments)
    {
        var kept = judgments.Where(j => j.Grade != Unjudged).ToList();
        var parts = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var turn in kept.GroupBy(j => j.Turn).OrderBy(g => g.Key))
            parts[$"turn_{turn.Key}"] = Math.Round(turn.Average(j => j.Grade), 4);
        return new OfficialGradeScores("mt_bench", kept.Count > 0 ? Math.Round(kept.Average(j => j.Grade), 4) : null, parts, kept.Count,
            judgments.Count - kept.Count, "FastChat show_result.py --mode single: rows with score −1 dropped; mean over all remaining turns, and per turn");
    }

    public static OfficialGradeScores For(string style, IReadOnlyList<GradedJudgment> judgments) =>
        style == JudgePromptStyles.AlignBench ? AlignBench(judgments) : MtBench(judgments) with { Benchmark = style };
}
