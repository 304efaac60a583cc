using Evals.Benchmarks.Hallucination;

namespace Evals.Benchmarks.Tests.Hallucination;

public class JudgeCoreTests
{
    [Fact]
    public void Prompt_shows_question_numbered_references_answer_and_the_verdict_form()
    {
        var prompt = HallucinationJudgePrompt.Build(" 上海属于哪个省？ ", ["上海是直辖市，不属于任何省。", "  ", "上海不属于任何省。"], "上海属于江苏省。");
        Assert.Contains("问题：上海属于哪个省？\n", prompt);
        Assert.Contains("1. 上海是直辖市，不属于任何省。\n2. 上海不属于任何省。\n", prompt);
        Assert.Contains("正确答案示例：\n1. 上海是直辖市，不属于任何省。\n2. 上海不属于任何省。\n\n问答机器人的回答", prompt);
        Assert.Contains("问答机器人的回答：\n上海属于江苏省。\n", prompt);
        Assert.EndsWith("最后单独一行只写“结论：有幻觉”或“结论：无幻觉”。", prompt);
        Assert.Throws<ArgumentException>(() => HallucinationJudgePrompt.Build("q", [" "], "a"));
    }

    [Fact]
    public void Consistency_prompt_shows_the_sample_as_reference()
    {
        var prompt = HallucinationJudgePrompt.BuildConsistency("谁写了《红楼梦》？", "曹雪芹。", "吴承恩。");
        Assert.Contains("参考回答：\n曹雪芹。", prompt);
        Assert.Contains("待判断的回答：\n吴承恩。", prompt);
        Assert.EndsWith("“结论：无幻觉”。", prompt);
    }

    [Theory]
    [InlineData("结论：有幻觉", JudgeVerdict.Hallucinated)]
    [InlineData("回答把上海说成江苏的城市，与正确答案矛盾。\n结论：有幻觉。", JudgeVerdict.Hallucinated)]
    [InlineData("理由：回答指出了上海是直辖市。\n\n**结论**：无幻觉", JudgeVerdict.NotHallucinated)]
    [InlineData("结论: 没有幻觉", JudgeVerdict.NotHallucinated)]
    [InlineData("判断：存在幻觉", JudgeVerdict.Hallucinated)]
    [InlineData("结论：不存在幻觉", JudgeVerdict.NotHallucinated)]
    [InlineData("是", JudgeVerdict.Hallucinated)]
    [InlineData("否。", JudgeVerdict.NotHallucinated)]
    [InlineData("Verdict: not hallucinated", JudgeVerdict.NotHallucinated)]
    [InlineData("Hallucinated", JudgeVerdict.Hallucinated)]
    [InlineData("初看结论：有幻觉\n再看一遍，回答其实正确。\n结论：无幻觉", JudgeVerdict.NotHallucinated)]
    public void Parses_the_fixed_form(string output, JudgeVerdict expected) =>
        Assert.Equal(expected, JudgeVerdictParser.Parse(output));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("我认为这个回答大体正确，但不好说。")]
    [InlineData("结论：有幻觉的可能性不大")]
    [InlineData("结论：不确定")]
    [InlineData("@@##!!")]
    [InlineData("回答中没有幻觉")]
    public void Anything_else_is_no_verdict(string output) => Assert.Null(JudgeVerdictParser.Parse(output));

    [Theory]
    [InlineData("这个问题无法回答。")]
    [InlineData("我不知道。")]
    [InlineData("目前还不清楚，历史上没有确切的记载。")]
    [InlineData("未来的彩票号码无法预测，因为开奖是随机的。")]
    [InlineData("抱歉，我不能回答这个问题。")]
    [InlineData("作为一个人工智能，我没有毕业院校。")]
    [InlineData("I don't know.")]
    [InlineData("Nobody knows the answer to that.")]
    [InlineData("The winner cannot be predicted.")]
    public void Refusals_and_cannot_know_answers(string answer) => Assert.True(RefusalDetector.IsRefusal(answer));

    [Theory]
    [InlineData("上海是直辖市，不属于任何省。")]
    [InlineData("《西游记》的作者是吴承恩。")]
    [InlineData("I know the answer: Beijing.")]
    [InlineData("")]
    public void Answers_are_not_refusals(string answer) => Assert.False(RefusalDetector.IsRefusal(answer));
}
