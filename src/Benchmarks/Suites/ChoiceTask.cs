using System.Globalization;
using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Models;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// Multiple choice (options in an item field) and classification (label words in the manifest): the model picks one of a
/// fixed set of continuations. Scored by log-likelihood (argmax over continuations, as lm-evaluation-harness's
/// <c>multiple_choice</c> output type) or by generation plus extraction of the first option named in the answer.
/// </summary>
public sealed class ChoiceTask : EvalTask
{
    private static readonly string[] Letters = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];
    private readonly Lazy<TaskContext> _context;

    public ChoiceTask(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items) : base(suite, manifest, items)
    {
        if (manifest.ChoicesField is null == (manifest.Labels is null or { Count: 0 }))
            throw new TaskDataException($"task {FullName}: declare exactly one of 'choices_field' (multiple choice) or 'labels' (classification)");
        if (manifest.AnswerStyle is not ("letter" or "text"))
            throw new TaskDataException($"task {FullName}: answer_style '{manifest.AnswerStyle}' must be 'letter' or 'text'");
        _context = new Lazy<TaskContext>(() => new TaskContext(FullName, MajorityChoice()));
    }

    public override TaskContext Context => _context.Value;

    protected override bool TakesConversations => true;

    public override string? Validate(TaskItem item)
    {
        if (item.Fields.ValueKind != JsonValueKind.Object) return "item is not a JSON object";
        if (Manifest.ChoicesField is { } field)
        {
            if (!item.Fields.TryGetProperty(field, out var choices) || choices.ValueKind != JsonValueKind.Array)
                return $"field '{field}': missing or not an array of options";
            var count = choices.GetArrayLength();
            if (count < 2 || count > Letters.Length) return $"field '{field}': {count} options, expected 2–{Letters.Length}";
        }
        foreach (var placeholder in Placeholders(Manifest.Template))
            if (placeholder != "choices" && !item.Fields.TryGetProperty(placeholder, out _))
                return $"field '{placeholder}': used by the template but missing";
        return AnswerIndex(item, out var problem) is null ? problem : null;
    }

    public override PreparedItem Prepare(TaskItem item, int shots) => Prepare(item, shots, 0);

    public override int Rotations(TaskItem item) => Manifest.ChoicesField is null ? 1 : Options(item).Count;

    /// <summary>
    /// Circular evaluation (MMBench's CircularEval, Liu et al. 2023): rotation r shows option (j + r) mod n at position j,
    /// so that over every rotation the gold answer sits once at each letter. Few-shot examples keep their published order.
    /// </summary>
    public override PreparedItem Prepare(TaskItem item, int shots, int rotation)
    {
        var prompt = new StringBuilder();
        if (Manifest.Instruction is { } instruction) prompt.Append(instruction).Append(Manifest.ShotSeparator);
        foreach (var shot in Shots(item, shots))
        {
            var answer = AnswerIndex(shot, out _);
            if (answer is null) continue;
            prompt.Append(Render(shot, 0)).Append(Continuations(shot, 0)[answer.Value]).Append(Manifest.ShotSeparator);
        }
        prompt.Append(Render(item, rotation));
        var continuations = Continuations(item, rotation);
        var gold = AnswerIndex(item, out var problem) ?? throw new TaskDataException($"task {FullName}, item {item.Id}: {problem}");
        if (Manifest.ChoicesField is not null) gold = ((gold - rotation) % continuations.Count + continuations.Count) % continuations.Count;
        var options = Manifest.ChoicesField is not null && Manifest.AnswerStyle == "letter" ? Rotate(Options(item), rotation) : null;
        return Converse(new PreparedItem(item, prompt.ToString(), continuations, gold, continuations[gold], options));
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores)
    {
        if (scores.LogLikelihoods.Count != item.Continuations.Count)
            return new ItemVerdict(Outcome.Error, 0, null);
        var best = 0;
        for (var i = 1; i < scores.LogLikelihoods.Count; i++)
            if (scores.LogLikelihoods[i] > scores.LogLikelihoods[best]) best = i;
        // Length-normalised beside plain accuracy: per character of the continuation, not per UTF-8 byte.
        var normalised = AccNormChars.Pick(scores.LogLikelihoods, item.Continuations);
        return Verdict(item, best) with
        {
            Metrics = new Dictionary<string, double> { [AccNormChars.Name] = normalised == item.AnswerIndex ? 100 : 0 },
        };
    }

    public override ItemVerdict ScoreGeneration(PreparedItem item, string output)
    {
        var extraction = AnswerExtraction.Extract(output, item.Continuations, item.Options);
        return extraction switch
        {
            { Refused: true } => new ItemVerdict(Outcome.Refused, 0, null, Rule: extraction.Rule),
            { Choice: { } picked } => Verdict(item, picked) with { Rule = extraction.Rule },
            _ => new ItemVerdict(Outcome.Unparseable, 0, null, Rule: extraction.Rule),
        };
    }

    /// <summary>The option a free-text answer names; see <see cref="AnswerExtraction"/> for the rules.</summary>
    public static int? ExtractChoice(string output, IReadOnlyList<string> continuations, IReadOnlyList<string>? options = null) =>
        AnswerExtraction.Extract(output, continuations, options).Choice;

    private static ItemVerdict Verdict(PreparedItem item, int picked) =>
        new(picked == item.AnswerIndex ? Outcome.Correct : Outcome.Wrong, picked == item.AnswerIndex ? 100 : 0, item.Continuations[picked], Picked: picked);

    private IReadOnlyList<string> Continuations(TaskItem item, int rotation)
    {
        if (Manifest.Labels is { Count: > 0 } labels) return labels.Select(l => l.Word).ToList();
        var options = Options(item);
        return Manifest.AnswerStyle == "letter" ? Letters.Take(options.Count).ToList() : Rotate(options, rotation);
    }

    private static List<string> Rotate(List<string> options, int rotation) =>
        rotation == 0 ? options : options.Select((_, j) => options[(j + rotation) % options.Count]).ToList();

    private List<string> Options(TaskItem item) =>
        item.Fields.GetProperty(Manifest.ChoicesField!).EnumerateArray().Select(o => o.ValueKind == JsonValueKind.String ? o.GetString()! : o.GetRawText()).ToList();

    private string Render(TaskItem item, int rotation)
    {
        var text = Manifest.Template;
        foreach (var placeholder in Placeholders(Manifest.Template))
        {
            var value = placeholder == "choices" && Manifest.ChoicesField is not null
                ? string.Join('\n', Rotate(Options(item), rotation).Select((o, i) => $"{Letters[i]}. {o}"))
                : placeholder == "choices" ? string.Join("、", Manifest.Labels!.Select(l => l.Word)) : item.GetString(placeholder) ?? "";
            text = text.Replace("{" + placeholder + "}", value, StringComparison.Ordinal);
        }
        return text;
    }

    private int? AnswerIndex(TaskItem item, out string? problem)
    {
        problem = null;
        var raw = item.GetString(Manifest.AnswerField)?.Trim();
        if (string.IsNullOrEmpty(raw))
        {
            problem = $"field '{Manifest.AnswerField}': missing answer";
            return null;
        }
        if (Manifest.Labels is { Count: > 0 } labels)
        {
            var index = labels.FindIndex(l => l.Value == raw);
            if (index < 0) problem = $"field '{Manifest.AnswerField}': label '{raw}' is not one of {string.Join(", ", labels.Select(l => l.Value))}";
            return index < 0 ? null : index;
        }
        var count = item.Fields.GetProperty(Manifest.ChoicesField!).GetArrayLength();
        int? answer = raw.Length == 1 && char.IsAsciiLetterUpper(raw[0]) ? raw[0] - 'A'
            : int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        if (answer is null || answer < 0 || answer >= count)
        {
            problem = $"field '{Manifest.AnswerField}': '{raw}' is not an option letter or a 0-based index below {count}";
            return null;
        }
        return answer;
    }

    private int? MajorityChoice()
    {
        var counts = FewshotItems.Select(i => AnswerIndex(i, out _)).OfType<int>().GroupBy(i => i)
            .Select(g => (Choice: g.Key, Count: g.Count())).ToList();
        // Ties go to the lowest choice index so that the baseline is deterministic.
        return counts.Count == 0 ? null : counts.OrderByDescending(c => c.Count).ThenBy(c => c.Choice).First().Choice;
    }

    internal static IEnumerable<string> Placeholders(string template)
    {
        var seen = new HashSet<string>();
        for (var i = template.IndexOf('{'); i >= 0; i = template.IndexOf('{', i + 1))
        {
            var end = template.IndexOf('}', i);
            if (end < 0) yield break;
            var name = template[(i + 1)..end];
            if (name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && seen.Add(name)) yield return name;
        }
    }
}
