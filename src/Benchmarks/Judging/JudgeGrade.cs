namespace Evals.Benchmarks.Judging;

/// <summary>
/// A grade read from a judge's reply: the overall rating on the benchmark's 1–10 scale, the per-dimension ratings where
/// the judge gave them (AlignBench's dict: 事实正确性, 满足用户需求, …), and which written form it was read from.
/// </summary>
public sealed record JudgeGrade(double Score, IReadOnlyDictionary<string, double> Dimensions, string Form);

/// <summary>The judge prompt families single grading knows; a task's manifest names one in <c>judge_prompt</c>.</summary>
public static class JudgePromptStyles
{
    /// <summary>AlignBench (THUDM): one judgment per answer, category-specific dimensions, a reference, a dict of ratings.</summary>
    public const string AlignBench = "alignbench";
    /// <summary>FastChat MT-Bench single grading: one judgment per turn, <c>[[rating]]</c>.</summary>
    public const string MtBench = "mt_bench";
    /// <summary>MT-Bench-ZH (GeneZC/MiniMA): FastChat's templates with "the language in use (i.e., English or Chinese)" added.</summary>
    public const string MtBenchZh = "mt_bench_zh";

    public static IReadOnlyList<string> All { get; } = [AlignBench, MtBench, MtBenchZh];
}
