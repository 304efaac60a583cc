using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites.Reading;

/// <summary>
/// Extractive reading comprehension (CMRC 2018): the model writes the answer span, which is scored against every
/// reference with the official EM and F1 (<see cref="Cmrc2018Scorer"/>). Generation only: there are no fixed
/// continuations to score by log-likelihood. The item's outcome is correct on an exact match, else wrong; its score is the
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
        return new PreparedItem(item, prompt.ToString(), [], -1, references[0]);
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores) => new(Outcome.Error, 0, null);

    public override ItemVerdict ScoreGeneration(PreparedItem item, string output)
    {
        var answer = ExtractAnswer(output);
        if (answer is null) return new ItemVerdict(Outcome.Unparseable, 0, null);
        var references = References(item.Item);
        var em = 100 * Cmrc2018Scorer.ExactMatch(answer, references);
        var f1 = 100 * Cmrc2018Scorer.F1(answer, references);
        var score = Manifest.Metric == Cmrc2018Scorer.Em ? em : f1;
        return new ItemVerdict(em == 100 ? Outcome.Correct : Outcome.Wrong, score, answer,
            new Dictionary<string, double> { [Cmrc2018Scorer.Em] = em, [Cmrc2018Scorer.F1Name] = f1 });
    }

    /// <summary>
    /// The span a chat model gave: its first non-empty line, without a leading 答案：/答案是 and without quotes or a final
    /// full stop around it. The official scorer would see these as part of the answer; stripping them is our choice for
    /// chat models and is the same for every model.
    /// </summary>
    public static string? ExtractAnswer(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        if (line is null) return null;
        foreach (var prefix in new[] { "答案是：", "答案是:", "答案是", "答案：", "答案:", "答：", "答:" })
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                line = line[prefix.Length..].Trim();
                break;
            }
        line = line.TrimEnd('。', '.');
        foreach (var (open, close) in new[] { ("“", "”"), ("「", "」"), ("\"", "\""), ("《", "》") })
            if (line.Length > 1 && line.StartsWith(open, StringComparison.Ordinal) && line.EndsWith(close, StringComparison.Ordinal)
                && line.IndexOf(open, 1, StringComparison.Ordinal) < 0)
                line = line[open.Length..^close.Length].Trim();
        return line.Length == 0 ? null : line;
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
