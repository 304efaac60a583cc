using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites.Judged;

/// <summary>
/// Open answers compared with a baseline model's answers by a judge (AlpacaEval / MT-Bench pairwise style). The model
/// answers the item's question; the judge sees the question and both answers twice, the candidate first and then second
/// (<see cref="PairwiseJudgePrompt"/>), and the two verdicts combine as <see cref="PairwiseJudgment"/> does. The
/// baseline's answer comes from the item (<see cref="BaselineOutputField"/>, as AlpacaEval ships text-davinci-003's),
/// from a stored run of the baseline model on the same task, or from a baseline spec answered live; which one is the
/// run's choice. Without a judge every item is unjudged.
/// </summary>
public sealed class PairwiseJudgedTask : EvalTask
{
    public const string KindName = "judged_pairwise";
    public const string BaselineOutputField = "baseline_output";
    public const string BaselineModelField = "baseline_model";

    public PairwiseJudgedTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items) : base(suite, manifest, items)
    {
        if (manifest.Metric != PairwiseWinRate.Name)
            throw new TaskDataException($"task {FullName}: metric '{manifest.Metric}' must be '{PairwiseWinRate.Name}' for {KindName}");
        if (manifest.ChoicesField is not null || manifest.Labels is { Count: > 0 })
            throw new TaskDataException($"task {FullName}: {KindName} takes neither 'choices_field' nor 'labels'");
    }

    public override TaskContext Context => new(FullName, null);

    public override bool ScoresChoices => false;

    public override double ChanceScore(PreparedItem item) => 50;

    public override string? Validate(TaskItem item)
    {
        if (item.Fields.ValueKind != JsonValueKind.Object) return "item is not a JSON object";
        if (string.IsNullOrWhiteSpace(item.GetString(Manifest.AnswerField))) return $"field '{Manifest.AnswerField}': missing or empty (the question the judge sees)";
        if (item.Fields.TryGetProperty(BaselineOutputField, out var baseline) && baseline.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            return $"field '{BaselineOutputField}': expected a string";
        foreach (var placeholder in ChoiceTask.Placeholders(Manifest.Template))
            if (!item.Fields.TryGetProperty(placeholder, out _))
                return $"field '{placeholder}': used by the template but missing";
        return null;
    }

    public override PreparedItem Prepare(TaskItem item, int shots)
    {
        var prompt = new StringBuilder();
        if (Manifest.Instruction is { } instruction) prompt.Append(instruction).Append(Manifest.ShotSeparator);
        var text = Manifest.Template;
        foreach (var placeholder in ChoiceTask.Placeholders(Manifest.Template))
            text = text.Replace("{" + placeholder + "}", item.GetString(placeholder) ?? "", StringComparison.Ordinal);
        prompt.Append(text);
        return new PreparedItem(item, prompt.ToString(), [], -1, StoredBaselineOutput(item) ?? "");
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores) => new(Outcome.Error, 0, null);

    /// <summary>Without a judge nothing can be decided.</summary>
    public override ItemVerdict ScoreGeneration(PreparedItem item, string output) => new(Outcome.Unjudged, 0, null, Rule: "no_judge");

    /// <summary>The question as the judge sees it (the manifest's <c>answer_field</c> names it: the task has no gold answer).</summary>
    public string Question(TaskItem item) => item.GetString(Manifest.AnswerField)!.Trim();

    /// <summary>The baseline's answer shipped with the item, if any.</summary>
    public static string? StoredBaselineOutput(TaskItem item) =>
        item.Fields.TryGetProperty(BaselineOutputField, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The judge's prompt with the candidate shown first (A) or second (B).</summary>
    public string JudgePrompt(TaskItem item, string candidate, string baseline, bool candidateFirst) =>
        candidateFirst ? PairwiseJudgePrompt.Build(Question(item), candidate.Trim(), baseline.Trim())
            : PairwiseJudgePrompt.Build(Question(item), baseline.Trim(), candidate.Trim());

    /// <summary>The item's verdict from the two judge replies (null where none could be had).</summary>
    public static (ItemVerdict Verdict, PairwiseJudgment Judgment) ScoreJudged(string? candidateFirstReply, string? candidateSecondReply)
    {
        var judgment = new PairwiseJudgment(PairwiseVerdictParser.Parse(candidateFirstReply), PairwiseVerdictParser.Parse(candidateSecondReply));
        var verdict = judgment.Outcome switch
        {
            PairwiseOutcome.CandidateWins => new ItemVerdict(Outcome.Correct, 100, "win", Rule: "judge"),
            PairwiseOutcome.BaselineWins => new ItemVerdict(Outcome.Wrong, 0, "loss", Rule: "judge"),
            PairwiseOutcome.Tie => new ItemVerdict(Outcome.Correct, 50, judgment.Flipped ? "tie (flipped)" : "tie", Rule: "judge"),
            _ => new ItemVerdict(Outcome.Unjudged, 0, null, Rule: "judge_unparseable"),
        };
        return (verdict, judgment);
    }
}
