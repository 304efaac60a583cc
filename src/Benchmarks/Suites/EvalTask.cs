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

    /// <summary>Checks one item; returns the problem (naming the field) or null.</summary>
    public abstract string? Validate(TaskItem item);

    public abstract PreparedItem Prepare(TaskItem item, int shots);

    public abstract ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores);

    public abstract ItemVerdict ScoreGeneration(PreparedItem item, string output);
}

/// <param name="Reference">The gold answer as a person reads it (label word or letter).</param>
public sealed record PreparedItem(TaskItem Item, string Prompt, IReadOnlyList<string> Continuations, int AnswerIndex, string Reference);

/// <param name="Score">0–100 for this item (graded metrics may give partial credit).</param>
public sealed record ItemVerdict(Outcome Outcome, double Score, string? Parsed);
