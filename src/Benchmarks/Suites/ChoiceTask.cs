using System.Globalization;
using System.Text;
using System.Text.Json;
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

    public override PreparedItem Prepare(TaskItem item, int shots)
    {
        var prompt = new StringBuilder();
        if (Manifest.Instruction is { } instruction) prompt.Append(instruction).Append(Manifest.ShotSeparator);
        // Shots are the first N of the few-shot split in file order: deterministic, and the same for every item,
        // as C-Eval's and CMMLU's official few-shot prompts are. Ids are unique per split only (C-Eval numbers every file
        // from 0), so an item is excluded from its own shots by split and id together.
        foreach (var shot in FewshotItems.Where(s => s.Split != item.Split || s.Id != item.Id).Take(shots))
        {
            var answer = AnswerIndex(shot, out _);
            if (answer is null) continue;
            prompt.Append(Render(shot)).Append(Continuations(shot)[answer.Value]).Append(Manifest.ShotSeparator);
        }
        prompt.Append(Render(item));
        var continuations = Continuations(item);
        var gold = AnswerIndex(item, out var problem) ?? throw new TaskDataException($"task {FullName}, item {item.Id}: {problem}");
        return new PreparedItem(item, prompt.ToString(), continuations, gold, continuations[gold]);
    }

    public override ItemVerdict ScoreChoices(PreparedItem item, ChoiceScores scores)
    {
        if (scores.LogLikelihoods.Count != item.Continuations.Count)
            return new ItemVerdict(Outcome.Error, 0, null);
        var best = 0;
        for (var i = 1; i < scores.LogLikelihoods.Count; i++)
            if (scores.LogLikelihoods[i] > scores.LogLikelihoods[best]) best = i;
        return Verdict(item, best);
    }

    public override ItemVerdict ScoreGeneration(PreparedItem item, string output)
    {
        var picked = ExtractChoice(output, item.Continuations);
        return picked is null ? new ItemVerdict(Outcome.Unparseable, 0, null) : Verdict(item, picked.Value);
    }

    /// <summary>The option named earliest in the answer; for letters, a standalone A–J (not part of a Latin word).</summary>
    public static int? ExtractChoice(string output, IReadOnlyList<string> continuations)
    {
        int? best = null;
        var bestAt = int.MaxValue;
        for (var i = 0; i < continuations.Count; i++)
        {
            var option = continuations[i];
            var from = 0;
            while (from <= output.Length)
            {
                var at = output.IndexOf(option, from, StringComparison.OrdinalIgnoreCase);
                if (at < 0) break;
                var standalone = option.Length > 1 || !IsLatin(At(output, at - 1)) && !IsLatin(At(output, at + 1));
                if (standalone && option.Length == 1 && !char.IsUpper(output[at])) standalone = false;
                if (standalone)
                {
                    // A longer option that starts at the same place wins ("正面" over "正").
                    if (at < bestAt || at == bestAt && best is { } b && option.Length > continuations[b].Length)
                    {
                        best = i;
                        bestAt = at;
                    }
                    break;
                }
                from = at + 1;
            }
        }
        return best;

        static char At(string s, int i) => i >= 0 && i < s.Length ? s[i] : ' ';
        static bool IsLatin(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z';
    }

    private ItemVerdict Verdict(PreparedItem item, int picked) =>
        new(picked == item.AnswerIndex ? Outcome.Correct : Outcome.Wrong, picked == item.AnswerIndex ? 100 : 0, item.Continuations[picked]);

    private IReadOnlyList<string> Continuations(TaskItem item)
    {
        if (Manifest.Labels is { Count: > 0 } labels) return labels.Select(l => l.Word).ToList();
        var options = Options(item);
        return Manifest.AnswerStyle == "letter" ? Letters.Take(options.Count).ToList() : options;
    }

    private List<string> Options(TaskItem item) =>
        item.Fields.GetProperty(Manifest.ChoicesField!).EnumerateArray().Select(o => o.ValueKind == JsonValueKind.String ? o.GetString()! : o.GetRawText()).ToList();

    private string Render(TaskItem item)
    {
        var text = Manifest.Template;
        foreach (var placeholder in Placeholders(Manifest.Template))
        {
            var value = placeholder == "choices" && Manifest.ChoicesField is not null
                ? string.Join('\n', Options(item).Select((o, i) => $"{Letters[i]}. {o}"))
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
