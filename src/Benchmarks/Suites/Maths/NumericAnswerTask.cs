using System.Globalization;
using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites.Maths;

/// <summary>
/// Math word problems answered with a number (CMATH, MGSM): the model works the problem out as the manifest's template
/// asks (a chain-of-thought instruction in Chinese), its final number is extracted (<see cref="NumericExtraction"/>, the
/// rule recorded on the verdict) and compared with the gold within the manifest's <c>tolerance</c>
/// (<see cref="NumericComparison"/>). Outcome correct, wrong, or unparseable when no number was found: a miss is a miss.
/// Generation only, without a stop at the line's end (the reasoning spans lines); the manifest's <c>max_tokens</c> must
/// leave room for it. With <c>breakdown_field</c> each verdict carries the item's value of that field (CMATH's grade).
/// </summary>
public sealed class NumericAnswerTask : EvalTask
{
    public const string KindName = "numeric_answer";

    public NumericAnswerTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items) : base(suite, manifest, items)
    {
        if (manifest.Metric != Metrics.Accuracy.Name)
            throw new TaskDataException($"task {FullName}: metric '{manifest.Metric}' must be '{Metrics.Accuracy.Name}' for {KindName}");
        if (manifest.ChoicesField is not null || manifest.Labels is { Count: > 0 })
            throw new TaskDataException($"task {FullName}: {KindName} takes neither 'choices_field' nor 'labels'");
        if (manifest.Tolerance is < 0 or >= 1 || manifest.Tolerance is { } t && double.IsNaN(t))
            throw new TaskDataException($"task {FullName}: tolerance {manifest.Tolerance} must be in [0, 1)");
    }

    public double Tolerance => Manifest.Tolerance ?? 0;

    public override TaskContext Context => new(FullName, null);

    public override bool ScoresChoices => false;

    public override IReadOnlyList<string> DefaultStopSequences => [];

    public override string? Validate(TaskItem item)
    {
        if (item.Fields.ValueKind != JsonValueKind.Object) return "item is not a JSON object";
        if (Gold(item) is null)
            return $"field '{Manifest.AnswerField}': expected one number (e.g. 18, 2,125, 48.1, 2/6, 12%), found {Describe(item)}";
        foreach (var placeholder in ChoiceTask.Placeholders(Manifest.Template))
            if (!item.Fields.TryGetProperty(placeholder, out _))
                return $"field '{placeholder}': used by the template but missing";
        if (Manifest.BreakdownField is { } field && item.GetString(field) is not { Length: > 0 })
            return $"field '{field}': named by breakdown_field but missing or empty";
        return null;
    }

    public override PreparedItem Prepare(TaskItem item, int shots)
    {
        var prompt = new StringBuilder();
        if (Manifest.Instruction is { } instruction) prompt.Append(instruction).Append(Manifest.ShotSeparator);
        foreach (var shot in Shots(item, shots))
            prompt.Append(Render(shot)).Append(GoldText(shot)).Append(Manifest.ShotSeparator);
        prompt.Append(Render(item));
        if (Gold(item) is null) throw new TaskDataException($"task {FullName}, item {item.Id}: field '{Manifest.AnswerField}': not a number");
        return new PreparedItem(item, prompt.ToString(), [], -1, GoldText(item));
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores) => new(Outcome.Error, 0, null);

    public override ItemVerdict ScoreGeneration(PreparedItem item, string output)
    {
        var (answer, rule) = NumericExtraction.Extract(output);
        var group = Manifest.BreakdownField is { } field ? item.Item.GetString(field) : null;
        if (answer is null) return new ItemVerdict(Outcome.Unparseable, 0, null, Rule: rule, Group: group);
        var correct = NumericComparison.Matches(answer, Gold(item.Item)!, Tolerance);
        return new ItemVerdict(correct ? Outcome.Correct : Outcome.Wrong, correct ? 100 : 0, answer.Text, Rule: rule, Group: group);
    }

    /// <summary>
    /// Self-consistency (Wang et al., 2023): the number most of the sampled answers gave, compared as one answer. Answers
    /// are grouped by value (<see cref="NumericValue.Canonical"/>: 0.5, 1/2 and 50% are one vote); unparseable samples do
    /// not vote. A tie goes to the value reached first in sample order, so the result does not depend on how values sort.
    /// The verdict's rule is <c>majority_of_K</c>, K the number of samples.
    /// </summary>
    public ItemVerdict ScoreMajority(PreparedItem item, IReadOnlyList<string> outputs)
    {
        var answers = outputs.Select(o => NumericExtraction.Extract(o).Value).ToList();
        var group = Manifest.BreakdownField is { } field ? item.Item.GetString(field) : null;
        var rule = $"majority_of_{outputs.Count}";
        var votes = answers.OfType<NumericValue>().GroupBy(a => a.Canonical).ToList();
        if (votes.Count == 0) return new ItemVerdict(Outcome.Unparseable, 0, null, Rule: rule, Group: group);
        var top = votes.Max(v => v.Count());
        var winner = votes.First(v => v.Count() == top).First();
        var correct = NumericComparison.Matches(winner, Gold(item.Item)!, Tolerance);
        return new ItemVerdict(correct ? Outcome.Correct : Outcome.Wrong, correct ? 100 : 0, winner.Text, Rule: rule, Group: group);
    }

    private NumericValue? Gold(TaskItem item) => GoldText(item) is { } text ? NumberScanner.ParseWhole(text) : null;

    private string GoldText(TaskItem item) =>
        item.Fields.TryGetProperty(Manifest.AnswerField, out var gold) ? gold.ValueKind switch
        {
            JsonValueKind.String => gold.GetString()!,
            JsonValueKind.Number => gold.GetDouble().ToString("R", CultureInfo.InvariantCulture),
            _ => "",
        } : "";

    private string Describe(TaskItem item) =>
        item.Fields.TryGetProperty(Manifest.AnswerField, out var gold) ? gold.ValueKind == JsonValueKind.String ? $"'{gold.GetString()}'" : gold.ValueKind.ToString().ToLowerInvariant() : "nothing";

    private string Render(TaskItem item)
    {
        var text = Manifest.Template;
        foreach (var placeholder in ChoiceTask.Placeholders(Manifest.Template))
            text = text.Replace("{" + placeholder + "}", item.GetString(placeholder) ?? "", StringComparison.Ordinal);
        return text;
    }
}
