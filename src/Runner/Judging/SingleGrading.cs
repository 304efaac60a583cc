using System.Text.Json.Nodes;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Judged;
using Evals.Runner.Hallucination;

namespace Evals.Runner.Judging;

/// <summary>A graded item: its verdict, the model's answers, the result's details, and the model's and the judge's usage.</summary>
public sealed record GradedItem(ItemVerdict Verdict, IReadOnlyList<string> Answers, JsonObject Details, int TokensIn, int TokensOut, CallStats Stats);

/// <summary>
/// Single grading of one item (<see cref="JudgedSingleTask"/>): the model answers each turn with the conversation so
/// far before it (MT-Bench's second question follows the model's own first answer), then the judge grades each turn
/// (AlignBench: its one answer; MT-Bench: turn 1 alone, turn 2 within the whole conversation). Model and judge calls go
/// through the response cache like every call of a run; the item's cost is both together (a cached call costs nothing).
/// A judge that declines (a provider refusal) leaves the turn unjudged: the model was not at fault.
/// </summary>
public sealed class SingleGrading(IModelBackend judge, JudgeOptions options)
{
    public const string PromptVersionKey = "judge_prompt_version";
    public const string JudgeOutputsKey = "judge_outputs";
    public const string GradesKey = "grades";
    public const string DimensionsKey = "dimensions";
    public const string CategoryKey = "category";
    public const string AnswersKey = "answers";
    public const string JudgeTokensInKey = "judge_tokens_in";
    public const string JudgeTokensOutKey = "judge_tokens_out";

    public async Task<GradedItem> ScoreAsync(JudgedSingleTask task, PreparedItem prepared, IModelBackend model, GenerateRequest first,
        CancellationToken cancellationToken = default)
    {
        var item = prepared.Item;
        var questions = task.Turns(item);
        var answers = new List<string>();
        var (tokensIn, tokensOut, cost, cached) = (0, 0, 0.0, true);
        var conversation = new List<ChatTurn>();
        for (var t = 0; t < questions.Count; t++)
        {
            conversation.Add(new ChatTurn(Conversation.User, questions[t]));
            var request = t == 0 ? first : first with { Prompt = Conversation.ToStored(conversation), Messages = conversation.ToList() };
            var generation = await model.GenerateAsync(request, cancellationToken);
            var answer = generation.Text.Trim();
            answers.Add(answer);
            conversation.Add(new ChatTurn(Conversation.Assistant, answer));
            (tokensIn, tokensOut) = (tokensIn + generation.PromptTokens, tokensOut + generation.CompletionTokens);
            cost += generation.Stats?.Cost ?? 0;
            cached &= generation.Stats?.Cached ?? false;
        }

        var replies = new List<string?>();
        var (judgeIn, judgeOut) = (0, 0);
        for (var turn = 1; turn <= questions.Count; turn++)
        {
            var messages = task.JudgeMessages(item, turn, answers);
            var request = new GenerateRequest(new TaskContext($"judge {task.PromptVersion} for {task.FullName}", null), item.Id, Conversation.ToStored(messages), [],
                new DecodingOptions(Temperature: 0, MaxTokens: options.SingleMaxTokens), Messages: messages);
            try
            {
                var reply = await judge.GenerateAsync(request, cancellationToken);
                replies.Add(reply.Text);
                (judgeIn, judgeOut) = (judgeIn + reply.PromptTokens, judgeOut + reply.CompletionTokens);
                cost += reply.Stats?.Cost ?? 0;
                cached &= reply.Stats?.Cached ?? false;
            }
            catch (ModelRefusedException)
            {
                replies.Add(null);
                cached = false;
            }
        }
        var details = Details(task, item, answers, replies);
        details[JudgeTokensInKey] = judgeIn;
        details[JudgeTokensOutKey] = judgeOut;
        var grades = task.ParseReplies(replies);
        return new GradedItem(JudgedSingleTask.Verdict(grades), answers, details, tokensIn, tokensOut, new CallStats(cost, null, cached));
    }

    /// <summary>What a graded item stores: the prompt version, the judge's replies, the grade of each turn (−1: none readable), the dimensions.</summary>
    public static JsonObject Details(JudgedSingleTask task, TaskItem item, IReadOnlyList<string> answers, IReadOnlyList<string?> replies)
    {
        var grades = task.ParseReplies(replies);
        var details = new JsonObject
        {
            [PromptVersionKey] = task.PromptVersion,
            [CategoryKey] = task.Category(item),
            [AnswersKey] = new JsonArray(answers.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
            // Whole: `runs rescore` parses them again, and AlignBench's rating dict comes last.
            [JudgeOutputsKey] = new JsonArray(replies.Select(r => (JsonNode?)(r is null ? null : JsonValue.Create(r))).ToArray()),
            [GradesKey] = new JsonArray(grades.Select(g => (JsonNode)JsonValue.Create(g?.Score ?? OfficialGradeAggregates.Unjudged)).ToArray()),
        };
        if (grades.Any(g => g is { Dimensions.Count: > 0 }))
            details[DimensionsKey] = new JsonArray(grades.Select(g => (JsonNode)new JsonObject(
                (g?.Dimensions ?? new Dictionary<string, double>()).Select(d => KeyValuePair.Create(d.Key, (JsonNode?)JsonValue.Create(d.Value))))).ToArray());
        return details;
    }
}
