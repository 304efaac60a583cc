using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites.Reading;

/// <summary>
/// Extractive reading comprehension (CMRC 2018): the model writes the answer span, which is scored against every
/// reference with the official EM and F1 (<see cref="Cmrc2018Scorer"/>) after a separate, recorded extraction step
/// (<see cref="SpanAnswerExtraction"/>). Generation only: <see cref="ScoresChoices"/> is false, so a run in
/// log-likelihood or auto mode still generates here (there are no fixed continuations to score). The item's outcome is correct on an exact match, else wrong; its score is the
/// manifest's metric (<c>em</c> or <c>f1</c>) and <see cref="ItemVerdict.Metrics"/> carries both.
/// </summary>
public sealed class SpanExtractionTask : EvalTask
{
    public SpanExtractionTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items) : base(suite, manifest, items)
    {
        if (manifest.Metric is not (Cmrc2018Scorer.Em or Cmrc2018Scorer.F1Name))
            throw new TaskDataException($"task {FullName}: metric '{manifest.Metric}' must be '{Cmrc2018Scorer.Em}' or '{Cmrc2018Scorer.F1Name}' for span_extraction");
        if (manifest.ChoicesField is not null || manifest.Labels is { Count: > 0 })
            throw new TaskDataException($"task {FullName}: span_extraction takes neither 'choices_field' nor 'labels'");
    }

    public override TaskContext Context => new(FullName, null);

    public override bool ScoresChoices => false;

    protected override bool TakesConversations => true;

    public override string? Validate(TaskItem item)
    {
        if (item.Fields.ValueKind != JsonValueKind.Object) return "item is not a JSON object";
        if (References(item) is not { Count: > 0 } references || references.Any(r => r.Trim().Length == 0))
            return $"field '{Manifest.AnswerField}': expected a non-empty array of non-empty reference answers";
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
            prompt.Append(Render(shot)).Append(References(shot)[0]).Append(Manifest.ShotSeparator);
        prompt.Append(Render(item));
        var references = References(item);
        if (references.Count == 0) throw new TaskDataException($"task {FullName}, item {item.Id}: field '{Manifest.AnswerField}': no reference answer");
        return Converse(new PreparedItem(item, prompt.ToString(), [], -1, references[0]));
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores) => new(Outcome.Error, 0, null);

    /// <summary>
    /// Takes the span out of the reply (<see cref="SpanAnswerExtraction"/>, its rule recorded on the verdict), then scores
    /// it exactly as the official script scores a prediction. Every item gets a score: an empty reply is the prediction
    /// "" and scores 0 (outcome wrong), so no question leaves the denominator.
    /// </summary>
    public override ItemVerdict ScoreGeneration(PreparedItem item, string output)
    {
        var (answer, rule) = SpanAnswerExtraction.Extract(output);
        var references = References(item.Item);
        var em = 100 * Cmrc2018Scorer.ExactMatch(answer, references);
        var f1 = 100 * Cmrc2018Scorer.F1(answer, references);
        var score = Manifest.Metric == Cmrc2018Scorer.Em ? em : f1;
        return new ItemVerdict(em == 100 ? Outcome.Correct : Outcome.Wrong, score, answer,
            new Dictionary<string, double> { [Cmrc2018Scorer.Em] = em, [Cmrc2018Scorer.F1Name] = f1 }, Rule: rule);
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
