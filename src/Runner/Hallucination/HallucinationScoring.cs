using System.Globalization;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Hallucination;
using Evals.Runner.Runs;

namespace Evals.Runner.Hallucination;

/// <summary>An answer's verdict from the judge, and what goes into the result's details.</summary>
public sealed record JudgedItem(ItemVerdict Verdict, JsonObject Details);

/// <summary>
/// Scores one generated answer of a hallucination task: asks the judge (through the response cache, like every model
/// call of a run) and, with SelfCheck, samples <c>K</c> further answers at the configured temperature, each request
/// carrying its sample index (so the cache replays sample n as sample n), then measures how consistent the answer is
/// with them: by character n-grams (<see cref="NgramConsistency"/>) and by the judge
/// (<see cref="HallucinationJudgePrompt.BuildConsistency"/>: the share of samples it finds contradicting the answer).
/// A judge that declines (a provider refusal) leaves the item unjudged: the model was not at fault.
/// </summary>
public sealed class HallucinationScoring(IModelBackend judge, RunConfig config, JudgeOptions options)
{
    public const string KindKey = "kind";
    public const string UnanswerableKey = "unanswerable";
    public const string RefusalKey = "refusal";
    public const string JudgeOutputKey = "judge_output";
    public const string SamplesKey = "selfcheck_samples";
    public const string NgramKey = "selfcheck_ngram";
    public const string JudgeConsistencyKey = "selfcheck_judge";
    public const string JudgeConsistencyUnjudgedKey = "selfcheck_unjudged";
    private const int StoredJudgeChars = 4000;

    public async Task<JudgedItem> ScoreAsync(HallucinationQaTask task, PreparedItem prepared, string output, IModelBackend model, GenerateRequest main,
        CancellationToken cancellationToken = default)
    {
        var item = prepared.Item;
        var answer = HallucinationQaTask.Answer(output);
        var details = new JsonObject
        {
            [KindKey] = task.Kind(item),
            [UnanswerableKey] = task.IsUnanswerable(item) ? 1 : 0,
            [RefusalKey] = RefusalDetector.IsRefusal(answer) ? 1 : 0,
        };
        ItemVerdict verdict;
        if (task.JudgePrompt(prepared, output) is not { } prompt)
            verdict = task.ScoreJudged(prepared, output, null);
        else
        {
            try
            {
                var judged = await judge.GenerateAsync(JudgeRequest(task, item.Id, prompt), cancellationToken);
                details[JudgeOutputKey] = judged.Text.Length > StoredJudgeChars ? judged.Text[..StoredJudgeChars] : judged.Text;
                verdict = task.ScoreJudged(prepared, output, judged.Text);
            }
            catch (ModelRefusedException e)
            {
                details[JudgeOutputKey] = "judge refused: " + e.Message;
                verdict = new ItemVerdict(Outcome.Unjudged, 0, null, Rule: "judge_refused");
            }
        }
        if (config.SelfCheckSamples > 0 && answer.Length > 0)
            await SelfCheckAsync(task, item, answer, model, main, details, cancellationToken);
        return new JudgedItem(verdict, details);
    }

    private async Task SelfCheckAsync(HallucinationQaTask task, TaskItem item, string answer, IModelBackend model, GenerateRequest main, JsonObject details,
        CancellationToken cancellationToken)
    {
        var sampling = main.Decoding with { Temperature = config.SelfCheckTemperature, Seed = null };
        var samples = new List<string>();
        // One after another: sample n is the n-th request, whatever the backend's concurrency.
        for (var n = 0; n < config.SelfCheckSamples; n++)
            samples.Add(HallucinationQaTask.Answer((await model.GenerateAsync(main with { Decoding = sampling, Sample = n }, cancellationToken)).Text));
        details[SamplesKey] = new JsonArray(samples.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        details[NgramKey] = Math.Round(NgramConsistency.HallucinationLikelihood(answer, samples), 6);

        int contradicted = 0, unjudged = 0;
        foreach (var sample in samples)
        {
            JudgeVerdict? verdict;
            try
            {
                var reply = await judge.GenerateAsync(JudgeRequest(task, item.Id, HallucinationJudgePrompt.BuildConsistency(task.Question(item), sample, answer)), cancellationToken);
                verdict = JudgeVerdictParser.Parse(reply.Text);
            }
            catch (ModelRefusedException)
            {
                verdict = null;
            }
            if (verdict is null) unjudged++;
            else if (verdict == JudgeVerdict.Hallucinated) contradicted++;
        }
        if (unjudged < samples.Count) details[JudgeConsistencyKey] = Math.Round((double)contradicted / (samples.Count - unjudged), 6);
        details[JudgeConsistencyUnjudgedKey] = unjudged;
    }

    private GenerateRequest JudgeRequest(HallucinationQaTask task, string itemId, string prompt) =>
        new(new TaskContext($"judge {HallucinationJudgePrompt.Version} for {task.FullName}", null), itemId, prompt, [],
            new DecodingOptions(Temperature: 0, MaxTokens: options.MaxTokens));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"judge {config.JudgeName}, selfcheck {config.SelfCheckSamples}");
}
