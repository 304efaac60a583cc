namespace Evals.Benchmarks.Judging;

/// <summary>
/// The pairwise judge prompt: the question and two answers in fixed positions (A first, B second); the judge explains,
/// then gives its verdict as <c>[[A]]</c>, <c>[[B]]</c> or <c>[[C]]</c> (tie), the form of FastChat's MT-Bench pairwise
/// prompts, so <see cref="PairwiseVerdictParser"/> reads it. <see cref="Version"/> is stored with every judged result and
/// every judge-check: change it whenever the wording changes, since a judge qualified on one wording is not qualified on another.
/// </summary>
public static class PairwiseJudgePrompt
{
    public const string Version = "pairwise-zh-v1";

    public const string QuestionHeader = "[用户问题]\n";
    public const string AnswerAStart = "[助手 A 的回答开始]\n";
    public const string AnswerAEnd = "\n[助手 A 的回答结束]";
    public const string AnswerBStart = "[助手 B 的回答开始]\n";
    public const string AnswerBEnd = "\n[助手 B 的回答结束]";

    private const string Instructions =
        "请作为公正的评审，比较两位 AI 助手对下面用户问题的回答，选出更好地遵循用户指令、更好地回答问题的一位。" +
        "请考虑回答的有用性、相关性、准确性、深度、创造性和细节程度。先比较两个回答并给出简短的理由。" +
        "不要让回答出现的先后顺序、回答的长度或助手的名字影响你的判断，尽量客观。" +
        "说明理由之后，严格按以下格式给出最终结论：助手 A 更好输出 \"[[A]]\"，助手 B 更好输出 \"[[B]]\"，两者相当输出 \"[[C]]\"。";

    public static string Build(string question, string answerA, string answerB) =>
        $"{Instructions}\n\n{QuestionHeader}{question}\n\n{AnswerAStart}{answerA}{AnswerAEnd}\n\n{AnswerBStart}{answerB}{AnswerBEnd}";

    /// <summary>The question and the two answers of a prompt <see cref="Build"/> made; null for any other text.</summary>
    public static (string Question, string AnswerA, string AnswerB)? Read(string prompt)
    {
        var q = prompt.IndexOf(QuestionHeader, StringComparison.Ordinal);
        var aStart = prompt.IndexOf(AnswerAStart, StringComparison.Ordinal);
        var aEnd = prompt.LastIndexOf(AnswerAEnd, StringComparison.Ordinal);
        var bStart = prompt.LastIndexOf(AnswerBStart, StringComparison.Ordinal);
        var bEnd = prompt.LastIndexOf(AnswerBEnd, StringComparison.Ordinal);
        if (q < 0 || aStart < q || aEnd < aStart || bStart < aEnd || bEnd < bStart) return null;
        return (prompt[(q + QuestionHeader.Length)..aStart].TrimEnd('\n'),
            prompt[(aStart + AnswerAStart.Length)..aEnd],
            prompt[(bStart + AnswerBStart.Length)..bEnd]);
    }
}
