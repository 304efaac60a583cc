using System.Text.Json.Nodes;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Judged;
using Evals.Runner.Hallucination;

namespace Evals.Runner.Judging;

/// <summary>
/// Scores one answer of a <see cref="PairwiseJudgedTask"/>: finds the baseline's answer (a live baseline model asked the
/// same request, a stored run's answer to the same item, or the item's own <c>baseline_output</c>), then asks the judge
/// twice, the candidate first and then second, through the response cache like every model call of a run. The two
/// replies, their verdicts, the baseline's answer and the judge prompt's version go into the result's details; the judge's
/// and the live baseline's costs are added to the item's cost.
/// </summary>
/// <param name="storedBaseline">The stored baseline run's raw answers by (task id, item key); null when none was named.</param>
public sealed class PairwiseScoring(IModelBackend judge, IModelBackend? liveBaseline, IReadOnlyDictionary<(Guid, string), string>? storedBaseline, JudgeOptions options)
{
    public const string FirstKey = "pair_first";
    public const string SecondKey = "pair_second";
    public const string FlippedKey = "pair_flipped";
    public const string JudgeFirstKey = "judge_output_candidate_first";
    public const string JudgeSecondKey = "judge_output_candidate_second";
    public const string BaselineAnswerKey = "baseline_answer";
    public const string BaselineSourceKey = "baseline_source";
    public const string PromptVersionKey = "judge_prompt_version";
    private const int StoredChars = 4000;

    public sealed record Scored(ItemVerdict Verdict, JsonObject Details, double Cost);

    public async Task<Scored> ScoreAsync(PairwiseJudgedTask task, Guid taskId, PreparedItem prepared, string output, GenerateRequest request,
        CancellationToken cancellationToken = default)
    {
        var details = new JsonObject { [PromptVersionKey] = PairwiseJudgePrompt.Version };
        var cost = 0.0;
        string? baseline;
        if (liveBaseline is not null)
        {
            var generation = await liveBaseline.GenerateAsync(request, cancellationToken);
            baseline = generation.Text;
            cost += generation.Stats?.Cost ?? 0;
            details[BaselineSourceKey] = "live";
        }
        else if (storedBaseline is not null)
        {
            baseline = storedBaseline.TryGetValue((taskId, prepared.Item.Id), out var stored) ? stored : null;
            details[BaselineSourceKey] = "run";
        }
        else
        {
            baseline = PairwiseJudgedTask.StoredBaselineOutput(prepared.Item);
            details[BaselineSourceKey] = "item";
        }
        if (baseline is null)
            throw new InvalidOperationException($"item {prepared.Item.Id}: no baseline answer ({details[BaselineSourceKey]}) to compare with");
        details[BaselineAnswerKey] = Clip(baseline);

        var first = await AskAsync(task.JudgePrompt(prepared.Item, output, baseline, candidateFirst: true), task, prepared.Item.Id, cancellationToken);
        var second = await AskAsync(task.JudgePrompt(prepared.Item, output, baseline, candidateFirst: false), task, prepared.Item.Id, cancellationToken);
        cost += first.Cost + second.Cost;
        details[JudgeFirstKey] = Clip(first.Text);
        details[JudgeSecondKey] = Clip(second.Text);
        var (verdict, judgment) = PairwiseJudgedTask.ScoreJudged(first.Refused ? null : first.Text, second.Refused ? null : second.Text);
        if (judgment.CandidateFirst is { } a) details[FirstKey] = (int)a;
        if (judgment.CandidateSecond is { } b) details[SecondKey] = (int)b;
        if (judgment.CandidateFirst is not null && judgment.CandidateSecond is not null) details[FlippedKey] = judgment.Flipped ? 1 : 0;
        return new Scored(verdict, details, cost);
    }

    private async Task<(string Text, double Cost, bool Refused)> AskAsync(string prompt, PairwiseJudgedTask task, string itemId, CancellationToken cancellationToken)
    {
        var request = new GenerateRequest(new TaskContext($"judge {PairwiseJudgePrompt.Version} for {task.FullName}", null), itemId, prompt, [],
            new DecodingOptions(Temperature: 0, MaxTokens: options.MaxTokens));
        try
        {
            var reply = await judge.GenerateAsync(request, cancellationToken);
            return (reply.Text, reply.Stats?.Cost ?? 0, false);
        }
        catch (ModelRefusedException e)
        {
            return ("judge refused: " + e.Message, 0, true);
        }
    }

    private static string Clip(string text) => text.Length > StoredChars ? text[..StoredChars] : text;
}
