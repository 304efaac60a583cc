using System.Text.Json;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites.Judged;

/// <summary>
/// Open-ended answers graded 1–10 by a judge model (AlignBench, MT-Bench single grading). Items carry <c>turns</c> (the
/// user's questions, one or more: the model answers each in turn with the conversation so far before it), optionally
/// the reference (<see cref="TaskManifest.AnswerField"/>: a string, or one string per turn), <c>category</c>, and for
/// AlignBench <c>dimensions</c> (<c>[{name, definition}]</c>, resolved from the subcategory at import). The manifest's
/// <c>judge_prompt</c> names the prompt family (<see cref="JudgePromptStyles"/>). The judge's reply must carry a rating
/// <see cref="GradeParser"/> can read, else the item is unjudged (scores 0, never a pass). Without a judge every item is
/// unjudged: runs of this kind need one (<c>evals run --judge SPEC</c>).
/// </summary>
/// <remarks>
/// Outcome of a graded item: <c>correct</c> when its grade (the mean over turns) is at least <see cref="PassMark"/>,
/// <c>wrong</c> below: an Evals convention so the outcome counts read at a glance; the score is the grade itself.
/// </remarks>
public sealed class JudgedSingleTask : EvalTask
{
    public const string KindName = "judged_single";
    public const string TurnsField = "turns";
    public const string CategoryField = "category";
    public const string DimensionsField = "dimensions";
    public const double PassMark = 6;

    public JudgedSingleTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items) : base(suite, manifest, items)
    {
        if (manifest.Metric != JudgeScore.Name)
            throw new TaskDataException($"task {FullName}: metric '{manifest.Metric}' must be '{JudgeScore.Name}' for {KindName}");
        if (manifest.JudgePrompt is not { } style || !JudgePromptStyles.All.Contains(style))
            throw new TaskDataException($"task {FullName}: field 'judge_prompt': expected one of {string.Join(", ", JudgePromptStyles.All)}");
        if (manifest.ChoicesField is not null || manifest.Labels is { Count: > 0 } || manifest.Template.Length > 0 || manifest.Shots > 0)
            throw new TaskDataException($"task {FullName}: {KindName} takes no 'choices_field', 'labels', 'template' or shots: the questions are the item's '{TurnsField}'");
        Style = style;
    }

    public string Style { get; }

    public string PromptVersion => SingleGradePrompts.VersionOf(Style);

    public override TaskContext Context => new(FullName, null);

    public override bool ScoresChoices => false;

    /// <summary>Answers end where the model ends them (the manifest's stop sequences, if any), not at the first newline.</summary>
    public override IReadOnlyList<string> DefaultStopSequences => [];

    public override double ChanceScore(PreparedItem item) => 0;

    public override string? Validate(TaskItem item)
    {
        if (item.Fields.ValueKind != JsonValueKind.Object) return "item is not a JSON object";
        var turns = Turns(item);
        if (turns.Count == 0 || turns.Any(t => t.Trim().Length == 0)) return $"field '{TurnsField}': expected a non-empty array of non-empty questions";
        if (item.Fields.TryGetProperty(Manifest.AnswerField, out var reference) && reference.ValueKind != JsonValueKind.Null)
        {
            if (reference.ValueKind == JsonValueKind.Array && (reference.GetArrayLength() != turns.Count || reference.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String)))
                return $"field '{Manifest.AnswerField}': an array of references needs one string per turn ({turns.Count})";
            if (reference.ValueKind is not (JsonValueKind.String or JsonValueKind.Array)) return $"field '{Manifest.AnswerField}': expected a string or an array of strings";
        }
        if (string.IsNullOrWhiteSpace(item.GetString(CategoryField))) return $"field '{CategoryField}': missing or empty";
        if (Style == JudgePromptStyles.AlignBench)
        {
            if (turns.Count != 1) return $"field '{TurnsField}': AlignBench questions have one turn";
            if (References(item) is null) return $"field '{Manifest.AnswerField}': AlignBench grades against a reference; missing";
            if (Dimensions(item).Count == 0) return $"field '{DimensionsField}': expected a non-empty array of {{name, definition}}";
        }
        return null;
    }

    public override PreparedItem Prepare(TaskItem item, int shots)
    {
        var turns = Turns(item);
        var references = References(item);
        var reference = references is null ? "" : references.Count == 1 ? references[0] : JsonSerializer.Serialize(references, StoredJson);
        // One question: a plain prompt, as every backend takes it. Several: the runner asks them one after another.
        return turns.Count == 1
            ? new PreparedItem(item, turns[0], [], -1, reference)
            : new PreparedItem(item, Conversation.ToStored(turns.Select(t => new ChatTurn(Conversation.User, t)).ToList()), [], -1, reference,
                Messages: [new ChatTurn(Conversation.User, turns[0])]);
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores) => new(Outcome.Error, 0, null);

    /// <summary>Without a judge nothing can be decided.</summary>
    public override ItemVerdict ScoreGeneration(PreparedItem item, string output) => new(Outcome.Unjudged, 0, null, Rule: "no_judge");

    public IReadOnlyList<string> Turns(TaskItem item) =>
        item.Fields.TryGetProperty(TurnsField, out var turns) && turns.ValueKind == JsonValueKind.Array
            ? turns.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString()! : "").ToList()
            : [];

    /// <summary>The reference per turn (one string for a one-turn item), or null when the item has none.</summary>
    public IReadOnlyList<string>? References(TaskItem item)
    {
        if (!item.Fields.TryGetProperty(Manifest.AnswerField, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String when value.GetString()!.Trim().Length > 0 => [value.GetString()!],
            JsonValueKind.Array => value.EnumerateArray().Select(r => r.GetString() ?? "").ToList(),
            _ => null,
        };
    }

    public string Category(TaskItem item) => item.GetString(CategoryField) ?? "";

    public IReadOnlyList<GradeDimension> Dimensions(TaskItem item) =>
        item.Fields.TryGetProperty(DimensionsField, out var dims) && dims.ValueKind == JsonValueKind.Array
            ? dims.EnumerateArray().Where(d => d.ValueKind == JsonValueKind.Object
                    && d.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                    && d.TryGetProperty("definition", out var f) && f.ValueKind == JsonValueKind.String)
                .Select(d => new GradeDimension(d.GetProperty("name").GetString()!, d.GetProperty("definition").GetString()!)).ToList()
            : [];

    /// <summary>The judge's messages for turn <paramref name="turn"/> (1-based) given the model's answers so far.</summary>
    public IReadOnlyList<ChatTurn> JudgeMessages(TaskItem item, int turn, IReadOnlyList<string> answers)
    {
        var questions = Turns(item);
        if (Style == JudgePromptStyles.AlignBench)
            return SingleGradePrompts.AlignBench(Category(item), Dimensions(item), questions[0], References(item)![0], answers[0]);
        var references = SingleGradePrompts.MtBenchReferenceCategories.Contains(Category(item)) && References(item) is { } r && r.Count == questions.Count ? r : null;
        return SingleGradePrompts.MtBench(Style, turn, questions, answers, references);
    }

    /// <summary>The grade of each turn's judge reply (null: none readable).</summary>
    public IReadOnlyList<JudgeGrade?> ParseReplies(IReadOnlyList<string?> replies) => replies.Select(r => GradeParser.Parse(Style, r)).ToList();

    /// <summary>
    /// The item's verdict from its turns' grades: unjudged (score 0, as every unjudged item) if any turn has none, else
    /// correct or wrong by <see cref="PassMark"/>; the score is the mean grade ×10 and <see cref="JudgeScore"/> carries it.
    /// </summary>
    public static ItemVerdict Verdict(IReadOnlyList<JudgeGrade?> grades)
    {
        if (grades.Count == 0) return new ItemVerdict(Outcome.Unjudged, 0, null, Rule: "no_judge");
        var mean = grades.Average(g => g?.Score ?? 0);
        var score = Math.Round(mean * 10, 6);
        var parsed = string.Join(' ', grades.Select(g => g is null ? "-" : g.Score.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)));
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { [JudgeScore.Name] = score };
        if (grades.Any(g => g is null)) return new ItemVerdict(Outcome.Unjudged, 0, parsed, Rule: "judge_unparseable");
        return new ItemVerdict(mean >= PassMark ? Outcome.Correct : Outcome.Wrong, score, parsed, metrics, Rule: "judge");
    }

    private static readonly JsonSerializerOptions StoredJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
