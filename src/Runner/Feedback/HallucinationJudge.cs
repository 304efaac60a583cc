using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Feedback;

/// <summary>What the judge decided about one answer, and what it saw.</summary>
public sealed record JudgeOutcome(JudgeVerdict? Verdict, string Reference, string JudgeOutput);

/// <summary>
/// The hallucination judge for live traffic, which has no reference answers: the judge model first answers the user's
/// question itself, and that answer is the reference for the HalluQA-style judge prompt
/// (<see cref="HallucinationJudgePrompt.Build"/>), whose last line <see cref="JudgeVerdictParser"/> reads. Both calls
/// are greedy and go through the response cache, so re-judging the same answer costs nothing. The judge's own answer
/// can be wrong; this measures disagreement with a stronger model, which is the usual online proxy.
/// </summary>
public sealed class HallucinationJudge(IModelBackend judge)
{
    private static readonly DecodingOptions Greedy = new(Temperature: 0, MaxTokens: 512);
    private static readonly TaskContext Context = new("online-checks/hallucination", null);

    public static string ReferencePrompt(string question) => $"请简洁、准确地回答下面的问题。如果无法确定答案，请直接说明无法确定。\n\n问题：{question.Trim()}";

    public async Task<JudgeOutcome> JudgeAsync(string itemId, string question, string answer, CancellationToken cancellationToken = default)
    {
        var reference = (await judge.GenerateAsync(new GenerateRequest(Context, itemId + "/reference", ReferencePrompt(question), [], Greedy), cancellationToken)).Text.Trim();
        if (reference.Length == 0) return new JudgeOutcome(null, reference, "");
        var output = (await judge.GenerateAsync(new GenerateRequest(Context, itemId + "/verdict",
            HallucinationJudgePrompt.Build(question, [reference], answer.Length == 0 ? "（空回答）" : answer), [], Greedy), cancellationToken)).Text;
        return new JudgeOutcome(JudgeVerdictParser.Parse(output), reference, output);
    }
}
