using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// A task ready to run: its manifest, its items, and how to prompt and score them. One subclass per kind of task
/// (registered in <see cref="TaskKinds"/>); tasks of a known kind differ only in their manifest.
/// </summary>
public abstract class EvalTask
{
    private readonly Lazy<IReadOnlyList<TaskItem>> _shotOrder;

    protected EvalTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items)
    {
        Suite = suite;
        Manifest = manifest;
        Items = items;
        if (manifest.FewshotSampling is not ("seeded" or "first"))
            throw new TaskDataException($"task {FullName}: fewshot_sampling '{manifest.FewshotSampling}' must be 'seeded' or 'first'");
        _shotOrder = new Lazy<IReadOnlyList<TaskItem>>(() => ShotOrder(FewshotItems, manifest));
    }

    public string Suite { get; }
    public TaskManifest Manifest { get; }
    public string FullName => $"{Suite}/{Manifest.Name}";
    public IReadOnlyList<TaskItem> Items { get; }
    public IEnumerable<TaskItem> EvalItems => Items.Where(i => i.Split == Manifest.EvalSplit);
    public IEnumerable<TaskItem> FewshotItems => Manifest.FewshotSplit is null ? [] : Items.Where(i => i.Split == Manifest.FewshotSplit);

    public abstract TaskContext Context { get; }

    /// <summary>
    /// The few-shot examples of an item: the first <paramref name="shots"/> of the few-shot split in the task's shot order,
    /// leaving out the item itself. Ids are unique per split only (C-Eval numbers every file from 0), so the item is
    /// recognised by split and id together. The order depends on the manifest alone, so every model and every run sees
    /// the same examples.
    /// </summary>
    public IEnumerable<TaskItem> Shots(TaskItem item, int shots) =>
        shots <= 0 ? [] : _shotOrder.Value.Where(s => s.Split != item.Split || s.Id != item.Id).Take(shots);

    /// <summary>
    /// <c>first</c>: file order, as C-Eval's and CMMLU's official prompts use their five dev items. <c>seeded</c>: a fixed
    /// pseudo-random order keyed by the manifest's <c>fewshot_seed</c> and each example's split and id (SHA-256), so the
    /// draw depends neither on file order nor on the model, the run or the item asked.
    /// </summary>
    private static IReadOnlyList<TaskItem> ShotOrder(IEnumerable<TaskItem> pool, TaskManifest manifest) =>
        manifest.FewshotSampling == "first"
            ? pool.OrderBy(i => i.Ordinal).ToList()
            : pool.OrderBy(i => BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(
                System.Text.Encoding.UTF8.GetBytes($"{manifest.FewshotSeed}\n{i.Split}\n{i.Id}")))).ThenBy(i => i.Ordinal).ToList();

    /// <summary>Whether <see cref="ScoreChoices"/> applies (log-likelihood over fixed continuations); span extraction is generation only.</summary>
    public virtual bool ScoresChoices => true;

    /// <summary>Where generation stops when the manifest names no <c>stop_sequences</c>: the end of the line, as a short answer ends.</summary>
    public virtual IReadOnlyList<string> DefaultStopSequences => ["\n"];

    /// <summary>Checks one item; returns the problem (naming the field) or null.</summary>
    public abstract string? Validate(TaskItem item);

    public abstract PreparedItem Prepare(TaskItem item, int shots);

    /// <summary>
    /// How many arrangements of the item circular evaluation asks (one per position of its options); 1 where the order
    /// of the answers is not the item's own (label words, span extraction).
    /// </summary>
    public virtual int Rotations(TaskItem item) => 1;

    /// <summary>The item with its options rotated by <paramref name="rotation"/> places (0: as published).</summary>
    public virtual PreparedItem Prepare(TaskItem item, int shots, int rotation) =>
        rotation == 0 ? Prepare(item, shots) : throw new NotSupportedException($"task {FullName} has no option order to rotate");

    /// <summary>The score (0–100) that guessing uniformly among the item's answers expects: the floor capabilities normalise against.</summary>
    public virtual double ChanceScore(PreparedItem item) => item.Continuations.Count == 0 ? 0 : 100.0 / item.Continuations.Count;

    public abstract ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores);

    public abstract ItemVerdict ScoreGeneration(PreparedItem item, string output);
}

/// <param name="Reference">The gold answer as a person reads it (label word or letter).</param>
/// <param name="Options">Multiple choice answered by letter: the options' texts in the order shown, so that an answer giving the text counts.</param>
public sealed record PreparedItem(TaskItem Item, string Prompt, IReadOnlyList<string> Continuations, int AnswerIndex, string Reference,
    IReadOnlyList<string>? Options = null);

/// <param name="Score">0–100 for this item on the task's metric (graded metrics may give partial credit).</param>
/// <param name="Metrics">Every further metric the item was scored on, 0–100 (CMRC 2018: em and f1; log-likelihood: acc_norm_chars).</param>
/// <param name="Rule">Generation mode: the extraction rule that decided (<see cref="AnswerExtraction"/>).</param>
/// <param name="Picked">The index of the continuation chosen, when one was.</param>
/// <param name="Group">The item's value of the manifest's <c>breakdown_field</c> (CMATH's grade), which the summary breaks scores down by.</param>
public sealed record ItemVerdict(Outcome Outcome, double Score, string? Parsed, IReadOnlyDictionary<string, double>? Metrics = null,
    string? Rule = null, int? Picked = null, string? Group = null);
