using Evals.Benchmarks.Judging;

namespace Evals.Benchmarks.Tests.Judging;

/// <summary>Every rating form the AlignBench and MT-Bench judge prompts ask for or their scripts read; anything else is unjudged.</summary>
public sealed class GradeParserTests
{
    [Theory]
    [InlineData("The answer is correct and helpful.\n\nRating: [[8]]", 8, "double_brackets")]
    [InlineData("Explanation...\n[[8.5]]", 8.5, "double_brackets")]
    [InlineData("Rating: [[10]]", 10, "double_brackets")]
    [InlineData("I would give it [[3]] overall, not [[9]]", 3, "double_brackets")] // FastChat takes the first match
    [InlineData("Rating: [7]", 7, "single_brackets")] // FastChat's fallback pattern
    [InlineData("see [1] and Rating: [[6]]", 6, "double_brackets")] // [[n]] wins over an earlier [n]
    public void Mt_bench_ratings_are_read_as_FastChat_reads_them(string reply, double expected, string form)
    {
        var grade = GradeParser.ParseMtBench(reply);
        Assert.NotNull(grade);
        Assert.Equal(expected, grade.Score);
        Assert.Equal(form, grade.Form);
        Assert.Empty(grade.Dimensions);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("This answer is quite good, I'd say 8 out of 10.")]
    [InlineData("Rating: [[eight]]")]
    [InlineData("Rating: [[0]]")] // below the 1–10 scale
    [InlineData("Rating: [[15]]")] // above it
    [InlineData("Rating: [[-3]]")]
    public void Malformed_mt_bench_replies_give_no_grade(string? reply) => Assert.Null(GradeParser.ParseMtBench(reply));

    [Fact]
    public void An_alignbench_dict_gives_the_overall_grade_and_every_dimension()
    {
        var reply = "1. 事实正确性：回答基本正确……得分：8\n2. 满足用户需求：……\n综上，{'事实正确性': 8, '满足用户需求': 6, '清晰度': 9, '完备性': 5, '综合得分': 7}";
        var grade = GradeParser.ParseAlignBench(reply);
        Assert.NotNull(grade);
        Assert.Equal(7, grade.Score);
        Assert.Equal("dict", grade.Form);
        Assert.Equal(new Dictionary<string, double> { ["事实正确性"] = 8, ["满足用户需求"] = 6, ["清晰度"] = 9, ["完备性"] = 5 }, grade.Dimensions);
    }

    [Fact]
    public void Only_the_last_dict_counts_as_alignbench_script_reads_it()
    {
        var reply = "示例格式：{'维度一': 1, '综合得分': 2}\n我的打分：{'事实正确性': 9, '满足用户需求': 8, '综合得分': 8}";
        var grade = GradeParser.ParseAlignBench(reply)!;
        Assert.Equal(8, grade.Score);
        Assert.Equal(2, grade.Dimensions.Count);
        Assert.False(grade.Dimensions.ContainsKey("维度一"));
    }

    [Theory]
    [InlineData("{\"事实正确性\": 7, \"综合得分\": 6.5}", 6.5, "dict")] // double quotes and a decimal
    [InlineData("{'事实正确性': 7, '综合得分'：6}", 6, "dict")] // a full-width colon
    [InlineData("打分：'综合得分': 5，其余略。{'事实正确性': 7}", 5, "quoted_overall")] // the script's second pattern
    [InlineData("综合得分：8", 8, "prose_overall")]
    [InlineData("各维度都不错。综合得分: 9分", 9, "prose_overall")]
    [InlineData("综合得分为 4/10", 4, "prose_overall")]
    [InlineData("起初我想给综合得分：3，但考虑到完备性，综合得分：6", 6, "prose_overall")] // the last one said
    public void Alignbench_overall_grades_are_read_in_every_form(string reply, double expected, string form)
    {
        var grade = GradeParser.ParseAlignBench(reply);
        Assert.NotNull(grade);
        Assert.Equal(expected, grade.Score);
        Assert.Equal(form, grade.Form);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("这个回答很好。")]
    [InlineData("{'事实正确性': 8, '满足用户需求': 6}")] // dimensions but no overall grade
    [InlineData("{'事实正确性': 8, '综合得分': 11}")] // out of scale
    [InlineData("{'事实正确性': 8, '综合得分': 0}")]
    [InlineData("Rating: [[8]]")] // the other benchmark's form is not AlignBench's
    public void Malformed_alignbench_replies_give_no_grade(string? reply) => Assert.Null(GradeParser.ParseAlignBench(reply));

    [Fact]
    public void The_style_chooses_the_parser()
    {
        Assert.Equal(8, GradeParser.Parse(JudgePromptStyles.MtBenchZh, "Rating: [[8]]")!.Score);
        Assert.Null(GradeParser.Parse(JudgePromptStyles.MtBench, "{'综合得分': 8}"));
        Assert.Equal(8, GradeParser.Parse(JudgePromptStyles.AlignBench, "{'综合得分': 8}")!.Score);
        Assert.Throws<ArgumentException>(() => GradeParser.Parse("pairwise", "[[A]]"));
    }
}
