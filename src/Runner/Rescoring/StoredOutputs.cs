using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Hallucination;
using Evals.Benchmarks.Suites.Maths;
using Evals.Runner.Hallucination;
using Evals.Runner.Judging;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Suites.Judged;
using Evals.Runner.Runs;
using Evals.Storage.Entities;
using Evals.Storage.Results;

namespace Evals.Runner.Rescoring;

/// <summary>
/// Scores an item again from what its source run stored, with the task's own scoring functions (the ones the run job
/// applies to a model's answer), so there is one place for the rules and a re-scoring calls no model:
/// <list type="bullet">
/// <item>generated answers: <see cref="EvalTask.ScoreGeneration"/> on the stored raw output (extraction re-applied);</item>
/// <item>log-likelihood items: <see cref="EvalTask.ScoreChoices"/> on the exact per-choice log-likelihoods in the
/// result's details (<c>loglikelihoods</c>); results stored before those were kept (the raw output holds them rounded
/// to four decimals, which could flip a near tie) are copied as they were;</item>
/// <item>judged items: <see cref="HallucinationQaTask.ScoreJudged"/> on the stored judge reply (<c>judge_output</c>);
/// pairwise items: <see cref="PairwiseJudgedTask.ScoreJudged"/> on the two stored replies (both orders);
/// a judge that refused, or an item without a stored reply, is copied as it was;</item>
/// <item>single-graded items (<see cref="Benchmarks.Suites.Judged.JudgedSingleTask"/>): every turn's stored judge reply
/// (<c>judge_outputs</c>) parsed again, grades, dimensions and verdict recomputed; the prompt version stays the one the
/// replies were written to;</item>
/// <item>errors and provider refusals have no output: copied as they were.</item>
/// </list>
/// Each new result's details say which (<c>rescore</c>: <c>scored</c> or <c>copied: why</c>). What the outputs cost
/// (tokens, latency, price, cache hits) is copied, so the usage block stays the source's.
/// </summary>
public static class StoredOutputs
{
    public const string RescoreKey = "rescore";
    public const string Scored = "scored";
    public const string LogLikelihoodsKey = "loglikelihoods";

    /// <summary>Details the scoring does not produce and a re-scoring keeps: the call's accounting and what a judge and SelfCheck recorded.</summary>
    private static readonly string[] Kept =
    [
        "mode", "cost", "ttft_ms", "cached", LogLikelihoodsKey, ItemDetails.Circular, NumericSamples.Key,
        HallucinationScoring.KindKey, HallucinationScoring.UnanswerableKey, HallucinationScoring.JudgeOutputKey, HallucinationScoring.SamplesKey,
        HallucinationScoring.NgramKey, HallucinationScoring.JudgeConsistencyKey, HallucinationScoring.JudgeConsistencyUnjudgedKey,
        PairwiseScoring.JudgeFirstKey, PairwiseScoring.JudgeSecondKey, PairwiseScoring.BaselineAnswerKey, PairwiseScoring.BaselineSourceKey,
        PairwiseScoring.PromptVersionKey,
        Judging.SingleGrading.JudgeTokensInKey, Judging.SingleGrading.JudgeTokensOutKey,
    ];

    /// <param name="stored">The source run's result for the item; null when the source has none (it was cancelled or failed midway).</param>
    /// <param name="mode">The source run's mode, for results whose details do not name theirs.</param>
    public static ResultRow Rescore(Guid runId, Guid taskId, EvalTask task, TaskItem item, int shots, ItemResult? stored, Guid sourceId, string mode,
        DateTimeOffset now)
    {
        if (stored is null)
            return new ResultRow(runId, taskId, item.Id, null, null, null, null, Outcome.Error.ToName(), 0, 0, 0, 0,
                $"source run {sourceId} has no result for this item", now, Note(new JsonObject(), "copied: no result in the source run"));
        var details = Parse(stored.Details);
        if (stored.Outcome == Outcome.Error.ToName() || stored.RawOutput is null)
            return Copy(runId, taskId, stored, details, now, stored.Outcome == Outcome.Error.ToName() ? "copied: the model call failed" : "copied: no output stored");
        PreparedItem prepared;
        try
        {
            prepared = task.Prepare(item, shots);
        }
        catch (TaskDataException e)
        {
            return Copy(runId, taskId, stored, details, now, $"copied: {e.Message}");
        }
        var itemMode = Text(details, "mode") ?? mode;
        ItemVerdict verdict;
        PairwiseJudgment? judgment = null;
        if (itemMode == "loglikelihood" && task.ScoresChoices)
        {
            if (LogLikelihoods(details) is not { } scores || scores.Count != prepared.Continuations.Count)
                return Copy(runId, taskId, stored, details, now, "copied: no exact log-likelihoods stored");
            verdict = task.ScoreChoices(prepared, new ChoiceScores(scores, stored.TokensIn, stored.TokensOut));
        }
        else if (task is HallucinationQaTask judged && Rule(details) != "no_judge")
        {
            if (Rule(details) == "judge_refused") return Copy(runId, taskId, stored, details, now, "copied: the judge refused");
            var judgeOutput = Text(details, HallucinationScoring.JudgeOutputKey);
            if (judgeOutput is null && HallucinationQaTask.Answer(stored.RawOutput).Length > 0)
                return Copy(runId, taskId, stored, details, now, "copied: no judge reply stored");
            verdict = judged.ScoreJudged(prepared, stored.RawOutput, judgeOutput);
        }
        else if (task is PairwiseJudgedTask && Rule(details) != "no_judge")
        {
            // Both stored replies are read again; a refused call was stored as "judge refused: …", which carries no verdict.
            var first = Text(details, PairwiseScoring.JudgeFirstKey);
            var second = Text(details, PairwiseScoring.JudgeSecondKey);
            if (first is null || second is null) return Copy(runId, taskId, stored, details, now, "copied: no judge replies stored");
            (verdict, judgment) = PairwiseJudgedTask.ScoreJudged(first, second);
        }
        else if (task is NumericAnswerTask numeric && NumericSamples.Outputs(details) is { Count: > 0 } sampled)
            verdict = numeric.ScoreMajority(prepared, sampled);
        else if (task is Benchmarks.Suites.Judged.JudgedSingleTask)
        {
            if (details?[Judging.SingleGrading.JudgeOutputsKey] is not JsonArray replies || details[Judging.SingleGrading.AnswersKey] is not JsonArray)
                return Copy(runId, taskId, stored, details, now, "copied: no judge replies stored");
            verdict = Benchmarks.Suites.Judged.JudgedSingleTask.Verdict(((Benchmarks.Suites.Judged.JudgedSingleTask)task).ParseReplies(Strings(replies)));
        }
        else verdict = task.ScoreGeneration(prepared, stored.RawOutput);

        var fresh = ItemDetails.From(verdict, task.ChanceScore(prepared));
        if (task is Benchmarks.Suites.Judged.JudgedSingleTask graded)
        {
            var version = Text(details, Judging.SingleGrading.PromptVersionKey);
            foreach (var (key, value) in Judging.SingleGrading.Details(graded, item, Strings((JsonArray)details![Judging.SingleGrading.AnswersKey]!).Select(a => a ?? "").ToList(),
                         Strings((JsonArray)details[Judging.SingleGrading.JudgeOutputsKey]!)).ToList())
                fresh[key] = value?.DeepClone();
            if (version is not null) fresh[Judging.SingleGrading.PromptVersionKey] = version;
        }
        foreach (var key in Kept)
            if (details?[key] is { } value) fresh[key] = value.DeepClone();
        if (judgment is not null)
        {
            if (judgment.CandidateFirst is { } a) fresh[PairwiseScoring.FirstKey] = (int)a;
            if (judgment.CandidateSecond is { } b) fresh[PairwiseScoring.SecondKey] = (int)b;
            if (judgment.CandidateFirst is not null && judgment.CandidateSecond is not null) fresh[PairwiseScoring.FlippedKey] = judgment.Flipped ? 1 : 0;
        }
        if (task is HallucinationQaTask)
            fresh[HallucinationScoring.RefusalKey] = RefusalDetector.IsRefusal(HallucinationQaTask.Answer(stored.RawOutput)) ? 1 : 0;
        // The rotations' answers are not stored: circular credit stands only while the item itself is still answered right.
        if (fresh[ItemDetails.Circular] is not null && verdict.Outcome != Outcome.Correct) fresh[ItemDetails.Circular] = 0;
        return new ResultRow(runId, taskId, stored.ItemKey, stored.Prompt, stored.RawOutput, verdict.Parsed, prepared.Reference, verdict.Outcome.ToName(),
            verdict.Score, stored.LatencyMs, stored.TokensIn, stored.TokensOut, null, now, Note(fresh, Scored));
    }

    /// <summary>The exact log-likelihoods the run job stores with a log-likelihood result (see <c>EvaluateRunJob</c>).</summary>
    public static JsonArray ToJson(IReadOnlyList<double> logLikelihoods) => new(logLikelihoods.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());

    private static List<double>? LogLikelihoods(JsonObject? details)
    {
        if (details?[LogLikelihoodsKey] is not JsonArray array) return null;
        var values = new List<double>(array.Count);
        foreach (var node in array)
        {
            if (node is not JsonValue value || !value.TryGetValue<double>(out var number)) return null;
            values.Add(number);
        }
        return values;
    }

    private static ResultRow Copy(Guid runId, Guid taskId, ItemResult stored, JsonObject? details, DateTimeOffset now, string why) =>
        new(runId, taskId, stored.ItemKey, stored.Prompt, stored.RawOutput, stored.Parsed, stored.Reference, stored.Outcome, stored.Score, stored.LatencyMs,
            stored.TokensIn, stored.TokensOut, stored.Error, now, Note(details ?? new JsonObject(), why));

    private static string Note(JsonObject details, string why)
    {
        details[RescoreKey] = why;
        return ItemDetails.ToJson(details);
    }

    private static List<string?> Strings(JsonArray array) => array.Select(n => n is JsonValue v && v.TryGetValue<string>(out var text) ? text : null).ToList();

    private static string? Rule(JsonObject? details) => Text(details, ItemDetails.Rule);

    private static string? Text(JsonObject? details, string key) => details?[key] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static JsonObject? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
