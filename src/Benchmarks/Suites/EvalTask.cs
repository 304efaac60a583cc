using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// A task ready to run: its manifest, its items, and how to prompt and score them. One subclass per kind of task
/// (registered in <see cref="TaskKinds"/>); tasks of a known kind differ only in their manifest.
/// </summary>
public abstract class EvalTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items)
{
    public string Suite { get; } = suite;
    public TaskManifest Manifest { get; } = manifest;
    public string FullName => $"{Suite}/{Manifest.Name}";
    public IReadOnlyList<TaskItem> Items { get; } = items;
    public IEnumerable<TaskItem> EvalItems => Items.Where(i => i.Split == Manifest.EvalSplit);
    public IEnumerable<TaskItem> FewshotItems => Manifest.FewshotSplit is null ? [] : Items.Where(i => i.Split == Manifest.FewshotSplit);

    public abstract TaskContext Context { get; }

    /// <summary>Whether <see cref="ScoreChoices"/> applies (log-likelihood over fixed continuations); span extraction is generation only.</summary>
    public virtual bool ScoresChoices => true;

    /// <summary>Checks one item; returns the problem (naming the field) or null.</summary>
    public abstract string? Validate(TaskItem item);

    public abstract PreparedItem Prepare(TaskItem item, int shots);

    public abstract ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores);

    public abstract ItemVerdict ScoreGeneration(PreparedItem item, string output);
}

/// <param name="Reference">The gold answer as a person reads it (label word or letter).</param>
public sealed record PreparedItem(TaskItem Item, string Prompt, IReadOnlyList<string> Continuations, int AnswerIndex, string Reference);

/// <param name="Score">0–100 for this item on the task's metric (graded metrics may give partial credit).</param>
/// <param name="Metrics">Every metric the item was scored on, 0–100, when there are several (CMRC 2018: em and f1).</param>
public sealed record ItemVerdict(Outcome Outcome, double Score, string? Parsed, IReadOnlyDictionary<string, double>? Metrics = null);
