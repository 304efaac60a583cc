using System.Text.Json;
using Evals.Benchmarks.Suites;
using Evals.Runner.Runs;

namespace Evals.Runner.Gate;

/// <summary>
/// A prompt variant of an offline A/B test, read from <c>--variant NAME=FILE</c>. A <c>.json</c> file maps tasks (full or
/// short names, or <c>*</c> for every other task) to templates; any other file is one template for every task of the
/// suite. Templates use the manifests' placeholders (<c>{question}</c>, <c>{choices}</c>, …); one the task cannot fill
/// is bad input naming the file, the placeholder and the task.
/// </summary>
public sealed record PromptVariantFile(string Name, string Path, IReadOnlyDictionary<string, string> Templates, string Hash)
{
    public static (string Name, string Path) ParseOption(string value)
    {
        var eq = value.IndexOf('=');
        if (eq <= 0 || eq == value.Length - 1) throw new BadInputException($"--variant '{value}' must be NAME=FILE");
        var name = value[..eq].Trim();
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c is ',' or '='))
            throw new BadInputException($"--variant '{value}': the name must be non-empty without spaces, commas or '='");
        return (name, value[(eq + 1)..].Trim());
    }

    public static PromptVariantFile Read(string name, string path, SuiteDefinition suite)
    {
        if (!File.Exists(path)) throw new BadInputException($"--variant {name}: file '{path}' does not exist");
        var text = File.ReadAllText(path);
        var tasks = suite.Tasks.Select(t => t.Task).ToList();
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            Dictionary<string, string>? map;
            try
            {
                map = JsonSerializer.Deserialize<Dictionary<string, string>>(text);
            }
            catch (JsonException e)
            {
                throw new BadInputException($"variant file {path}: expected a JSON object of task name → template ({e.Message})");
            }
            if (map is null || map.Count == 0) throw new BadInputException($"variant file {path}: no templates");
            foreach (var (key, template) in map)
            {
                if (key == "*") continue;
                var full = GateTasks.FullName(suite.Name, key, tasks.Select(t => t.FullName).ToList())
                    ?? throw new BadInputException($"variant file {path}: key '{key}' is not a task of suite {suite.Name} (tasks: {string.Join(", ", tasks.Select(t => t.FullName))})");
                templates[full] = template;
            }
            if (map.TryGetValue("*", out var fallback))
                foreach (var task in tasks) templates.TryAdd(task.FullName, fallback);
        }
        else
        {
            // One template for every task; the file's final line break is not part of the prompt.
            var template = text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
            if (template.Trim().Length == 0) throw new BadInputException($"variant file {path}: empty template");
            foreach (var task in tasks) templates[task.FullName] = template;
        }
        foreach (var task in tasks)
        {
            if (!templates.TryGetValue(task.FullName, out var template)) continue;
            var unknown = PromptTemplates.UnknownPlaceholders(task, template);
            if (unknown.Count > 0)
                throw new BadInputException($"variant file {path}: unknown placeholder {{{unknown[0]}}} for task {task.FullName} " +
                                            $"(it offers {string.Join(", ", PromptTemplates.KnownPlaceholders(task).Select(p => $"{{{p}}}"))})");
        }
        return new PromptVariantFile(name, path, templates, PromptTemplates.Hash(templates));
    }
}
