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
        if (manifest.MessagesField is not null && !TakesConversations)
            throw new TaskDataException($"task {FullName}: kind '{manifest.Kind}' takes no 'messages_field'");
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

    /// <summary>Checks one item: its conversation (when the manifest names a <c>messages_field</c>), then what its kind requires.</summary>
    public string? Check(TaskItem item) => ConversationProblem(item) ?? Validate(item);

    /// <summary>
    /// Whether items of this kind may carry context turns (<see cref="TaskManifest.MessagesField"/>): a kind that says so
    /// passes every prepared item through <see cref="Converse"/>. The base constructor reads it: override it with a constant.
    /// </summary>
    protected virtual bool TakesConversations => false;

    /// <summary>
    /// A multi-turn item: the context turns of the item's <see cref="TaskManifest.MessagesField"/>, then the rendered prompt
    /// (instruction, few-shot examples and template) as the user's last turn; an empty rendered prompt adds no turn, so the
    /// conversation alone is the prompt. The stored prompt becomes the whole conversation. Items of a task without the
    /// field are returned as they are.
    /// </summary>
    protected PreparedItem Converse(PreparedItem prepared)
    {
        if (Manifest.MessagesField is not { } field) return prepared;
        var (context, problem) = ContextTurns(prepared.Item);
        if (context is null) throw new TaskDataException($"task {FullName}, item {prepared.Item.Id}: field '{field}': {problem}");
        IReadOnlyList<ChatTurn> turns = prepared.Prompt.Length == 0 ? context : [.. context, new ChatTurn(Conversation.User, prepared.Prompt)];
        if (Conversation.PromptProblem(turns) is { } wrong) throw new TaskDataException($"task {FullName}, item {prepared.Item.Id}: field '{field}': {wrong}");
        return prepared with { Prompt = Conversation.ToStored(turns), Messages = turns };
    }

    private string? ConversationProblem(TaskItem item)
    {
        if (Manifest.MessagesField is not { } field) return null;
        var (context, problem) = ContextTurns(item);
        if (context is null) return $"field '{field}': {problem}";
        if (context.Count == 0) return $"field '{field}': no turns";
        for (var i = 1; i < context.Count; i++)
            if (context[i].Role == Conversation.System) return $"field '{field}': item {i + 1}: a system turn may only come first";
        // With an empty template the context is the whole prompt, so the model must be answering the user.
        if (Manifest.Template.Length == 0 && context[^1].Role != Conversation.User)
            return $"field '{field}': item {context.Count}: the template is empty, so the last turn must be the user's, not the {context[^1].Role}'s";
        return null;
    }

    private (IReadOnlyList<ChatTurn>? Turns, string? Problem) ContextTurns(TaskItem item) =>
        item.Fields.ValueKind == System.Text.Json.JsonValueKind.Object && item.Fields.TryGetProperty(Manifest.MessagesField!, out var value)
            ? Conversation.Read(value)
            : (null, "missing");

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
/// <param name="Prompt">What is stored as the item's prompt: the prompt itself, or a conversation's stored form (<see cref="Conversation.ToStored"/>).</param>
/// <param name="Options">Multiple choice answered by letter: the options' texts in the order shown, so that an answer giving the text counts.</param>
/// <param name="Messages">A multi-turn item: the whole conversation the model answers (<see cref="EvalTask.Converse"/>).</param>
public sealed record PreparedItem(TaskItem Item, string Prompt, IReadOnlyList<string> Continuations, int AnswerIndex, string Reference,
    IReadOnlyList<string>? Options = null, IReadOnlyList<ChatTurn>? Messages = null);

/// <param name="Score">0–100 for this item on the task's metric (graded metrics may give partial credit).</param>
/// <param name="Metrics">Every further metric the item was scored on, 0–100 (CMRC 2018: em and f1; log-likelihood: acc_norm_chars).</param>
/// <param name="Rule">Generation mode: the extraction rule that decided (<see cref="AnswerExtraction"/>).</param>
/// <param name="Picked">The index of the continuation chosen, when one was.</param>
/// <param name="Group">The item's value of the manifest's <c>breakdown_field</c> (CMATH's grade), which the summary breaks scores down by.</param>
public sealed record ItemVerdict(Outcome Outcome, double Score, string? Parsed, IReadOnlyDictionary<string, double>? Metrics = null,
    string? Rule = null, int? Picked = null, string? Group = null);
