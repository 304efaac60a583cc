using Evals.Benchmarks.Judging;

namespace Evals.Benchmarks.Tests.Judging;

public sealed class SingleGradeLabelsTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"single-labels-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void Reads_graded_answers_and_builds_the_runs_judge_prompt()
    {
        File.WriteAllText(_file, """
            {"question_id": 1, "category": "math", "question": "1+1?", "reference": "2", "answer": "2", "grade": 9}

            {"question_id": "w2", "category": "writing", "question": "写一首诗", "answer": "春风", "grade": 6.5}
            """);
        var (labels, problems) = SingleGradeLabels.Read(_file, JudgePromptStyles.MtBenchZh);
        Assert.Empty(problems);
        Assert.Equal(["1", "w2"], labels.Select(l => l.Id));
        Assert.Equal([9, 6.5], labels.Select(l => l.Grade));
        Assert.Equal([1, 3], labels.Select(l => l.Line));
        // Math is judged against its reference, as FastChat's NEED_REF_CATS; writing is not.
        var math = labels[0].JudgeMessages(JudgePromptStyles.MtBenchZh);
        Assert.Equal(SingleGradePrompts.MtBench(JudgePromptStyles.MtBenchZh, 1, ["1+1?"], ["2"], ["2"]).Select(m => m.Content), math.Select(m => m.Content));
        Assert.Contains("[The Start of Reference Answer]\n2", math[^1].Content);
        Assert.DoesNotContain("Reference Answer", labels[1].JudgeMessages(JudgePromptStyles.MtBenchZh)[^1].Content);
    }

    [Fact]
    public void Alignbench_labels_need_a_reference_and_dimensions()
    {
        File.WriteAllText(_file, """
            {"question_id": 1, "category": "基本任务", "question": "问", "reference": "参考", "answer": "答", "grade": 7, "dimensions": [{"name": "事实正确性", "definition": "对"}]}
            {"question_id": 2, "category": "基本任务", "question": "问", "answer": "答", "grade": 7}
            """);
        var (labels, problems) = SingleGradeLabels.Read(_file, JudgePromptStyles.AlignBench);
        Assert.Single(labels);
        Assert.Contains("1. 事实正确性: 对", labels[0].JudgeMessages(JudgePromptStyles.AlignBench)[0].Content);
        Assert.Equal(["field 'reference': missing", "field 'dimensions': an AlignBench judge rates on dimensions; expected a non-empty array of {name, definition}"],
            problems.Select(p => p.Message));
        Assert.All(problems, p => Assert.Equal(2, p.Line));
    }

    [Fact]
    public void Bad_lines_are_named_by_line_and_field()
    {
        File.WriteAllText(_file, """
            {"question_id": 1, "category": "math", "question": "q", "answer": "a", "grade": 11}
            {"question_id": 2, "category": "math", "question": "q", "answer": "a", "grade": "8"}
            {"question_id": 1, "category": "math", "question": "q", "answer": "a", "grade": 8}
            {"question_id": 3, "question": "q", "answer": "a", "grade": 8}
            not json
            {"question_id": 4, "category": "math", "question": "q", "answer": "", "grade": 1}
            """);
        var (labels, problems) = SingleGradeLabels.Read(_file, JudgePromptStyles.MtBench);
        Assert.Equal("4", Assert.Single(labels).Id);
        Assert.Equal(5, problems.Count);
        Assert.Equal([(1, "field 'grade': 11 is outside 1–10"), (2, "field 'grade': expected a number 1–10, found a string"),
                (3, "field 'question_id': '1' is also on line 1"), (4, "field 'category': missing")],
            problems.Take(4).Select(p => (p.Line, p.Message)));
        Assert.Equal(5, problems[4].Line);
        Assert.StartsWith("not valid JSON", problems[4].Message);
        Assert.All(problems, p => Assert.Equal(_file, p.File));
    }

    [Fact]
    public void Agreement_leaves_out_unjudged_items_and_counts_them()
    {
        // People 8, 8, 5, 3, 9, 5 against a judge 7, 9, 5, 5, 9, 4 (RankCorrelationTests works these out by hand: ρ = 9/11,
        // τ_b = 9/13), with a seventh item the judge gave no grade.
        var agreement = SingleGradeAgreement.Compute([8, 8, 5, 3, 9, 5, 7], [7, 9, 5, 5, 9, 4, null]);
        Assert.Equal(6, agreement.Items);
        Assert.Equal(1, agreement.Unjudged);
        Assert.Equal(9.0 / 11, agreement.Spearman, 14);
        Assert.Equal(9.0 / 13, agreement.KendallTauB, 14);
        // Exactly alike: items 3 and 5 (5/5, 9/9); within one point: also 1, 2 and 6 (8/7, 8/9, 5/4); not item 4 (3/5).
        Assert.Equal(200.0 / 6, agreement.ExactAgreement, 12);
        Assert.Equal(500.0 / 6, agreement.WithinOne, 12);
    }
}
