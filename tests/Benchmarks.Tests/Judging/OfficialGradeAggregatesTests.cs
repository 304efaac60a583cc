using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Judged;

namespace Evals.Benchmarks.Tests.Judging;

/// <summary>The benchmarks' own aggregation on hand-worked grades, and the per-item verdict single grading stores.</summary>
public sealed class OfficialGradeAggregatesTests
{
    [Fact]
    public void Alignbench_total_is_the_mean_of_the_reasoning_and_language_macro_averages()
    {
        GradedJudgment[] judgments =
        [
            new("数学计算", 1, 8), new("数学计算", 1, 6), // 7
            new("逻辑推理", 1, 5), new("逻辑推理", 1, -1), // 2: the script keeps −1 in the mean
            new("基本任务", 1, 9), // 9
            new("中文理解", 1, 7), new("中文理解", 1, 8), // 7.5
        ];
        var scores = OfficialGradeAggregates.AlignBench(judgments);
        Assert.Equal(7, scores.Parts["数学计算"]);
        Assert.Equal(2, scores.Parts["逻辑推理"]);
        Assert.Equal(4.5, scores.Parts["推理"]); // (7 + 2) / 2
        Assert.Equal(8.25, scores.Parts["语言"]); // (9 + 7.5) / 2
        Assert.Equal(6.375, scores.Score); // (4.5 + 8.25) / 2, not the mean over the 7 questions (42 / 7 = 6)
        Assert.Equal(7, scores.Judgments);
        Assert.Equal(1, scores.Unjudged);
    }

    [Fact]
    public void Alignbench_with_one_group_absent_is_that_groups_figure()
    {
        var scores = OfficialGradeAggregates.AlignBench([new("角色扮演", 1, 6), new("文本写作", 1, 9)]);
        Assert.Equal(7.5, scores.Parts["语言"]);
        Assert.False(scores.Parts.ContainsKey("推理"));
        Assert.Equal(7.5, scores.Score);
    }

    [Fact]
    public void Mt_bench_drops_minus_one_and_averages_every_remaining_turn()
    {
        GradedJudgment[] judgments =
        [
            new("writing", 1, 8), new("writing", 2, 6),
            new("math", 1, 7), new("math", 2, 5),
            new("coding", 1, -1), new("coding", 2, 4),
        ];
        var scores = OfficialGradeAggregates.MtBench(judgments);
        Assert.Equal(6, scores.Score); // (8 + 6 + 7 + 5 + 4) / 5
        Assert.Equal(7.5, scores.Parts["turn_1"]);
        Assert.Equal(5, scores.Parts["turn_2"]);
        Assert.Equal(5, scores.Judgments);
        Assert.Equal(1, scores.Unjudged);
        Assert.Null(OfficialGradeAggregates.MtBench([new("math", 1, -1)]).Score);
    }

    [Fact]
    public void An_item_is_unjudged_when_any_turn_has_no_grade_and_scores_its_mean_grade_times_ten_otherwise()
    {
        var both = JudgedSingleTask.Verdict([new JudgeGrade(8, new Dictionary<string, double>(), "x"), new JudgeGrade(5, new Dictionary<string, double>(), "x")]);
        Assert.Equal(Outcome.Correct, both.Outcome); // mean 6.5 ≥ 6
        Assert.Equal(65, both.Score);
        Assert.Equal(65, both.Metrics!["judge_score"]);
        Assert.Equal("8 5", both.Parsed);

        var low = JudgedSingleTask.Verdict([new JudgeGrade(5.5, new Dictionary<string, double>(), "x")]);
        Assert.Equal(Outcome.Wrong, low.Outcome);
        Assert.Equal(55, low.Score);

        var half = JudgedSingleTask.Verdict([new JudgeGrade(9, new Dictionary<string, double>(), "x"), null]);
        Assert.Equal(Outcome.Unjudged, half.Outcome); // never a pass
        Assert.Equal(0, half.Score);
        Assert.Equal("9 -", half.Parsed);
    }

    [Fact]
    public void A_suite_whose_overall_is_a_mean_of_category_averages_names_them()
    {
        (string, IReadOnlyList<string>, double)[] subjects =
        [
            ("alignbench/math", ["推理", "数学计算"], 40), ("alignbench/reasoning", ["推理", "逻辑推理"], 60), // 推理 50
            ("alignbench/writing", ["语言", "文本写作"], 90), ("alignbench/roleplay", ["语言", "角色扮演"], 70), ("alignbench/open_qa", ["语言", "综合问答"], 80), // 语言 80
        ];
        var averages = Evals.Benchmarks.Metrics.CategoryAverages.Compute(subjects, ["推理", "语言"]);
        Assert.Equal(50, averages["推理"]);
        Assert.Equal(80, averages["语言"]);
        Assert.Equal(65, averages["overall"]); // (50 + 80) / 2, where the mean over the five subjects is 68
        Assert.Equal(68, Evals.Benchmarks.Metrics.CategoryAverages.Compute(subjects)["overall"]);
    }
}
