using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites.Hallucination;

/// <summary>
/// Open question answering scored by a judge model for hallucination (HalluQA). The model answers the question; a
/// judge sees the question, the reference answers and the answer (<see cref="HallucinationJudgePrompt"/>) and its
/// verdict decides the outcome: not hallucinated → correct, hallucinated → wrong, no readable verdict → unjudged. An
/// empty answer is hallucinated without asking (as the official script counts it). Without a judge every item is
/// unjudged: runs of this kind need one (<c>evals run --judge SPEC</c>).
/// </summary>
public sealed class HallucinationQaTask : EvalTask
{
    public const string KindName = "hallucination_qa";
    public const string QuestionField = "question";
    public const string KindField = "kind";
    public const string UnanswerableField = "unanswerable";

    public HallucinationQaTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items) : base(suite, manifest, items)
    {
        if (manifest.Metric != NonHallucinationRate.Name)
            throw new TaskDataException($"task {FullName}: metric '{manifest.Metric}' must be '{NonHallucinationRate.Name}' for {KindName}");
        if (manifest.ChoicesField is not null || manifest.Labels is { Count: > 0 })
            throw new TaskDataException($"task {FullName}: {KindName} takes neither 'choices_field' nor 'labels'");
    }

    public override TaskContext Context => new(FullName, null);

    public override bool ScoresChoices => false;

    public override double ChanceScore(PreparedItem item) => 0;

    public override string? Validate(TaskItem item)
    {
        if (item.Fields.ValueKind != JsonValueKind.Object) return "item is not a JSON object";
        if (string.IsNullOrWhiteSpace(item.GetString(QuestionField))) return $"field '{QuestionField}': missing or empty";
        if (References(item) is not { Count: > 0 } references || references.Any(r => r.Trim().Length == 0))
            return $"field '{Manifest.AnswerField}': expected a non-empty array of non-empty reference answers";
        if (item.GetString(KindField) is not { } kind || !HallucinationKinds.All.Contains(kind))
            return $"field '{KindField}': expected one of {string.Join(", ", HallucinationKinds.All)}";
        if (item.Fields.TryGetProperty(UnanswerableField, out var flag) && flag.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            return $"field '{UnanswerableField}': expected true or false";
        foreach (var placeholder in ChoiceTask.Placeholders(Manifest.Template))
            if (!item.Fields.TryGetProperty(placeholder, out _))
                return $"field '{placeholder}': used by the template but missing";
        return null;
    }

    public override PreparedItem Prepare(TaskItem item, int shots)
    {
        var prompt = new StringBuilder();
        if (Manifest.Instruction is { } instruction) prompt.Append(instruction).Append(Manifest.ShotSeparator);
        foreach (var shot in Shots(item, shots))
            prompt.Append(Render(shot)).Append(' ').Append(References(shot)[0]).Append(Manifest.ShotSeparator);
        prompt.Append(Render(item));
        return new PreparedItem(item, prompt.ToString(), [], -1, References(item)[0]);
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores) => new(Outcome.Error, 0, null);

    /// <summary>Without a judge nothing can be decided.</summary>
    public override ItemVerdict ScoreGeneration(PreparedItem item, string output) => new(Outcome.Unjudged, 0, null, Rule: "no_judge");

    public string Question(TaskItem item) => item.GetString(QuestionField)!.Trim();

    public IReadOnlyList<string> ReferenceAnswers(TaskItem item) => References(item);

    public string Kind(TaskItem item) => item.GetString(KindField)!;

    public bool IsUnanswerable(TaskItem item) =>
        item.Fields.TryGetProperty(UnanswerableField, out var flag) && flag.ValueKind == JsonValueKind.True;

    /// <summary>The answer as judged: the generation without surrounding whitespace.</summary>
    public static string Answer(string output) => output.Trim();

    /// <summary>The judge's prompt, or null when the answer is empty (hallucinated without asking).</summary>
    public string? JudgePrompt(PreparedItem item, string output) =>
        Answer(output).Length == 0 ? null : HallucinationJudgePrompt.Build(Question(item.Item), References(item.Item), Answer(output));

    /// <param name="judgeOutput">The judge's reply; null when none was asked (empty answer).</param>
    public ItemVerdict ScoreJudged(PreparedItem item, string output, string? judgeOutput)
    {
        var answer = Answer(output);
        if (answer.Length == 0) return new ItemVerdict(Outcome.Wrong, 0, "", Rule: "empty_answer");
        return JudgeVerdictParser.Parse(judgeOutput) switch
        {
            JudgeVerdict.NotHallucinated => new ItemVerdict(Outcome.Correct, 100, HallucinationJudgePrompt.NotHallucinated, Rule: "judge"),
            JudgeVerdict.Hallucinated => new ItemVerdict(Outcome.Wrong, 0, HallucinationJudgePrompt.Hallucinated, Rule: "judge"),
            _ => new ItemVerdict(Outcome.Unjudged, 0, null, Rule: "judge_unparseable"),
        };
    }

    private List<string> References(TaskItem item) =>
        item.Fields.TryGetProperty(Manifest.AnswerField, out var answers) && answers.ValueKind == JsonValueKind.Array
            ? answers.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToList()
            : [];

    private string Render(TaskItem item)
    {
        var text = Manifest.Template;
        foreach (var placeholder in ChoiceTask.Placeholders(Manifest.Template))
            text = text.Replace("{" + placeholder + "}", item.GetString(placeholder) ?? "", StringComparison.Ordinal);
        return text;
    }
}
