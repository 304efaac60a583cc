using System.Security.Cryptography;
using System.Text;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// Prompt variants: a task run with another template than its manifest's (offline A/B tests). The override replaces the
/// manifest's <c>template</c> only, so items, answers, few-shot examples and scoring stay those of the suite version and
/// variants stay comparable item by item.
/// </summary>
public static class PromptTemplates
{
    /// <summary>
    /// The placeholders of <paramref name="template"/> the task cannot fill: <c>{choices}</c> is filled by choice tasks;
    /// any other placeholder must be a field of every item of the task.
    /// </summary>
    public static IReadOnlyList<string> UnknownPlaceholders(EvalTask task, string template)
    {
        var unknown = new List<string>();
        foreach (var placeholder in ChoiceTask.Placeholders(template))
        {
            if (placeholder == "choices" && task is ChoiceTask) continue;
            if (task.Items.Count == 0 || task.Items.Any(i => i.Fields.ValueKind != System.Text.Json.JsonValueKind.Object || !i.Fields.TryGetProperty(placeholder, out _)))
                unknown.Add(placeholder);
        }
        return unknown;
    }

    /// <summary>The fields a template may use for this task, for error messages.</summary>
    public static IReadOnlyList<string> KnownPlaceholders(EvalTask task)
    {
        var fields = task.Items.Count == 0 || task.Items[0].Fields.ValueKind != System.Text.Json.JsonValueKind.Object ? []
            : task.Items[0].Fields.EnumerateObject().Select(p => p.Name).Where(n => task.Items.All(i => i.Fields.TryGetProperty(n, out _))).ToList();
        return task is ChoiceTask ? [.. fields, "choices"] : fields;
    }

    /// <summary>The same task with another template (a new task object of the same kind).</summary>
    public static EvalTask WithTemplate(EvalTask task, string template) =>
        TaskKinds.Create(task.Suite, task.Manifest with { Template = template }, task.Items);

    /// <summary>Applies the overrides (full task name → template) of a run; tasks without one are returned unchanged.</summary>
    public static EvalTask Apply(EvalTask task, IReadOnlyDictionary<string, string>? templates) =>
        templates is not null && templates.TryGetValue(task.FullName, out var template) ? WithTemplate(task, template) : task;

    /// <summary>The version of a set of templates: the first 16 hex digits of SHA-256 over the task names and templates in order.</summary>
    public static string Hash(IReadOnlyDictionary<string, string> templates)
    {
        var text = string.Join("\n\u0000", templates.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}\n{t.Value}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
