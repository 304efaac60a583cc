using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Metrics.Generation;
using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites.Generation;

/// <summary>
/// Free-text generation scored against one or more references by overlap metrics (summarisation, translation,
/// dialogue, news continuation). Generation only (<see cref="ScoresChoices"/> is false). The manifest's
/// <c>answer_field</c> holds the reference or an array of references; <c>metric</c> is the main metric
/// (<see cref="Metrics"/>). Every item carries ROUGE-1/2/L, keyword precision and its BLEU sufficient statistics
/// (<see cref="BleuStatistics.Keys"/>) in <see cref="ItemVerdict.Metrics"/>, so a stored run can be summarised and
/// re-scored without the model; corpus metrics (BLEU, distinct-n) are computed over the task from those statistics and
/// the stored outputs.
/// </summary>
/// <remarks>
/// Outcome: <c>unparseable</c> for an empty output (it scores 0 on every metric and still counts: a miss is a miss),
/// <c>correct</c> when the output equals a reference once white space is removed, <c>wrong</c> otherwise. So accuracy
/// beside the overlap metric is the exact-match rate and <c>answered_accuracy</c> the exact-match rate of non-empty
/// outputs. Chance is 0: nothing is guessed among fixed answers.
/// </remarks>
public sealed class GenerationTask : EvalTask
{
    public const string KindName = "generation";

    /// <summary>The metrics a generation manifest may name.</summary>
    public static readonly IReadOnlyList<string> Metrics =
        [Rouge.RougeLInfo.Name, Rouge.Rouge1Info.Name, Rouge.Rouge2Info.Name, CorpusBleu.Name,
         DistinctN.NameOf(1), DistinctN.NameOf(2), DistinctN.NameOf(3), DistinctN.NameOf(4), KeywordPrecision.Name];

    public GenerationTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items) : base(suite, manifest, items)
    {
        if (!Metrics.Contains(manifest.Metric))
            throw new TaskDataException($"task {FullName}: metric '{manifest.Metric}' is not a generation metric; known: {string.Join(", ", Metrics)}");
        if (manifest.ChoicesField is not null || manifest.Labels is { Count: > 0 })
            throw new TaskDataException($"task {FullName}: generation takes neither 'choices_field' nor 'labels'");
    }

    public override TaskContext Context => new(FullName, null);

    public override bool ScoresChoices => false;

    /// <summary>Dialogue (KdConv): the context turns in, the next turn scored.</summary>
    protected override bool TakesConversations => true;

    public override double ChanceScore(PreparedItem item) => 0;

    public override string? Validate(TaskItem item)
    {
        if (item.Fields.ValueKind != JsonValueKind.Object) return "item is not a JSON object";
        if (!item.Fields.TryGetProperty(Manifest.AnswerField, out var answer)
            || answer.ValueKind is not (JsonValueKind.String or JsonValueKind.Array)
            || References(item) is not { Count: > 0 } references || references.Any(r => r.Trim().Length == 0)
            || (answer.ValueKind == JsonValueKind.Array && answer.GetArrayLength() != references.Count))
            return $"field '{Manifest.AnswerField}': expected a non-empty reference or a non-empty array of non-empty references";
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
        if (references.Count == 0) throw new TaskDataException($"task {FullName}, item {item.Id}: field '{Manifest.AnswerField}': no reference");
        return Converse(new PreparedItem(item, prompt.ToString(), [], -1, ReferenceText(references)));
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores) => new(Outcome.Error, 0, null);

    public override ItemVerdict ScoreGeneration(PreparedItem item, string output) => Score(output, References(item.Item), Manifest.Metric);

    /// <summary>Scores one output against its references; the item's <c>Score</c> is its own value of the main metric (a corpus metric's is this item alone).</summary>
    public static ItemVerdict Score(string output, IReadOnlyList<string> references, string metric)
    {
        var text = output.Trim();
        var rouge = Rouge.Score(text, references);
        var bleu = CorpusBleu.Statistics(text, references);
        var keywords = KeywordPrecision.Compute(KeywordPrecision.Keywords(text), string.Join("\n", references));
        var numbers = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [Rouge.Rouge1Info.Name] = Math.Round(rouge.Rouge1, 6),
            [Rouge.Rouge2Info.Name] = Math.Round(rouge.Rouge2, 6),
            [Rouge.RougeLInfo.Name] = Math.Round(rouge.RougeL, 6),
            [KeywordPrecision.Name] = Math.Round(keywords, 6),
        };
        foreach (var (key, value) in bleu.ToNumbers()) numbers[key] = value;
        var score = metric switch
        {
            CorpusBleu.Name => Math.Round(CorpusBleu.Score(bleu).Score, 6),
            _ when DistinctN.TryParse(metric, out var n) => Math.Round(DistinctN.Compute([text], n), 6),
            _ => numbers[metric],
        };
        var squeezed = Squeeze(text);
        var outcome = text.Length == 0 ? Outcome.Unparseable
            : references.Any(r => Squeeze(r) == squeezed) ? Outcome.Correct : Outcome.Wrong;
        return new ItemVerdict(outcome, outcome == Outcome.Unparseable ? 0 : score, text, numbers);
    }

    /// <summary>The references as stored with a result: the text itself when there is one, else a JSON array.</summary>
    public static string ReferenceText(IReadOnlyList<string> references) =>
        references.Count == 1 ? references[0] : JsonSerializer.Serialize(references, ReferenceJson);

    /// <summary>The references back from <see cref="ReferenceText"/>.</summary>
    public static IReadOnlyList<string> ParseReferenceText(string? stored)
    {
        if (string.IsNullOrEmpty(stored)) return [];
        if (stored.StartsWith('['))
            try { return JsonSerializer.Deserialize<List<string>>(stored) ?? []; }
            catch (JsonException) { }
        return [stored];
    }

    private static readonly JsonSerializerOptions ReferenceJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Squeeze(string text) => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));

    private List<string> References(TaskItem item)
    {
        if (!item.Fields.TryGetProperty(Manifest.AnswerField, out var answer)) return [];
        return answer.ValueKind switch
        {
            JsonValueKind.String => [answer.GetString()!],
            JsonValueKind.Array => answer.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToList(),
            _ => [],
        };
    }

    private string Render(TaskItem item)
    {
        var text = Manifest.Template;
        foreach (var placeholder in ChoiceTask.Placeholders(Manifest.Template))
            text = text.Replace("{" + placeholder + "}", item.GetString(placeholder) ?? "", StringComparison.Ordinal);
        return text;
    }
}
