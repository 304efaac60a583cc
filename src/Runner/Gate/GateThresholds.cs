using System.Text.Json;
using Evals.Runner.Runs;

namespace Evals.Runner.Gate;

/// <summary>
/// Allowed drops per check, from <c>--thresholds FILE</c>: a JSON object of points, keyed by task (<c>smoke/idioms</c>
/// or just <c>idioms</c>), <c>overall</c>, or <c>default</c> (every task not named):
/// <code>{ "default": 1.0, "overall": 0.5, "smoke/idioms": 3 }</code>
/// </summary>
public sealed record GateThresholds(double? Default, double? Overall, IReadOnlyDictionary<string, double> Tasks, string Source)
{
    public static GateThresholds Empty { get; } = new(null, null, new Dictionary<string, double>(), "");

    public static GateThresholds Read(string path)
    {
        if (!File.Exists(path)) throw new BadInputException($"--thresholds: file '{path}' does not exist");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new BadInputException($"--thresholds {path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new BadInputException($"--thresholds {path}: expected an object of task name → allowed drop in points");
            double? fallback = null, overall = null;
            var tasks = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var points) || points < 0 || !double.IsFinite(points))
                    throw new BadInputException($"--thresholds {path}: key '{property.Name}': expected a number of points ≥ 0, got {property.Value.GetRawText()}");
                switch (property.Name)
                {
                    case "default": fallback = points; break;
                    case "overall": overall = points; break;
                    default: tasks[property.Name] = points; break;
                }
            }
            return new GateThresholds(fallback, overall, tasks, path);
        }
    }

    /// <summary>Per-task drops keyed by full task name; a key naming no task of the suite is bad input.</summary>
    public IReadOnlyDictionary<string, double> Resolve(string suite, IReadOnlyCollection<string> taskNames)
    {
        var resolved = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, points) in Tasks)
        {
            var full = GateTasks.FullName(suite, key, taskNames)
                ?? throw new BadInputException($"--thresholds {Source}: key '{key}' is not a task of suite {suite} (tasks: {string.Join(", ", taskNames)})");
            resolved[full] = points;
        }
        return resolved;
    }
}

public static class GateTasks
{
    /// <summary>The full name (<c>suite/task</c>) a user meant by <paramref name="name"/>, or null.</summary>
    public static string? FullName(string suite, string name, IReadOnlyCollection<string> taskNames)
    {
        name = name.Trim();
        if (taskNames.Contains(name)) return name;
        var prefixed = $"{suite}/{name}";
        return taskNames.Contains(prefixed) ? prefixed : null;
    }

    /// <summary>Parses <c>--tasks t1,t2</c> against the suite's tasks; an unknown name is bad input.</summary>
    public static IReadOnlyCollection<string>? Parse(string? list, string suite, IReadOnlyCollection<string> taskNames)
    {
        if (string.IsNullOrWhiteSpace(list)) return null;
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            result.Add(FullName(suite, name, taskNames)
                ?? throw new BadInputException($"--tasks: '{name}' is not a task of suite {suite} (tasks: {string.Join(", ", taskNames)})"));
        return result;
    }
}
