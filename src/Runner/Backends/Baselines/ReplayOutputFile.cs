using System.Collections.Concurrent;
using System.Text.Json;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// Model outputs produced elsewhere, as JSON Lines: one <c>{"task": "&lt;suite&gt;/&lt;task&gt;", "item_id": "…",
/// "output": "…"}</c> per line (OpenCompass's eval-only mode and lm-evaluation-harness's predict-only write the
/// outputs; a line per item in this shape lets Evals score them), optionally with <c>"samples": ["…", …]</c>, the
/// answers sampled for the item (self-consistency, <c>--samples K</c>: sample n is <c>samples[n mod count]</c>).
/// Further fields are ignored; blank lines are skipped.
/// Every problem is reported as <c>file:line: what is wrong</c>, all of them at once. Read once per process per file
/// version (path, size and time stamp).
/// </summary>
internal sealed record ReplayOutputFile(string Path, IReadOnlyDictionary<(string Task, string ItemId), ReplayOutput> Outputs)
{
    private const int MaxProblems = 20;
    private static readonly ConcurrentDictionary<string, Lazy<ReplayOutputFile>> Loaded = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="path"/> holds JSON Lines rather than HalluQA's JSON array: a <c>.jsonl</c> name, or a first character other than '['.</summary>
    public static bool IsJsonLines(string path)
    {
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return true;
        if (!File.Exists(path)) return false;
        using var reader = new StreamReader(path);
        int c;
        while ((c = reader.Read()) >= 0 && (char.IsWhiteSpace((char)c) || c == '\uFEFF')) { }
        return c >= 0 && c != '[';
    }

    public static ReplayOutputFile Load(ModelSpec spec, string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ModelSpecException($"model spec '{spec.Text}': option file: {path} does not exist");
        var info = new FileInfo(full);
        var key = $"{full}#{info.Length}@{info.LastWriteTimeUtc.Ticks}";
        try
        {
            return Loaded.GetOrAdd(key, _ => new Lazy<ReplayOutputFile>(() => Read(spec, path, full))).Value;
        }
        catch (ModelSpecException)
        {
            Loaded.TryRemove(key, out _);
            throw;
        }
    }

    private static ReplayOutputFile Read(ModelSpec spec, string shown, string full)
    {
        var outputs = new Dictionary<(string, string), ReplayOutput>();
        var problems = new List<string>();
        var number = 0;
        foreach (var line in File.ReadLines(full))
        {
            number++;
            if (line.Trim().Trim('\uFEFF').Length == 0) continue;
            var problem = Parse(line, number, out var output);
            if (problem is null && !outputs.TryAdd((output!.Task, output.ItemId), output))
                problem = $"task '{output.Task}' item '{output.ItemId}' appears twice (first on line {outputs[(output.Task, output.ItemId)].Line})";
            if (problem is not null) problems.Add($"{shown}:{number}: {problem}");
        }
        if (problems.Count == 0 && outputs.Count == 0) problems.Add($"{shown}: no lines; expected one {{\"task\", \"item_id\", \"output\"}} object per line");
        if (problems.Count > 0) throw Problems(spec, problems);
        return new ReplayOutputFile(shown, outputs);
    }

    private static string? Parse(string line, int number, out ReplayOutput? output)
    {
        output = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            return $"not valid JSON ({e.Message})";
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "expected a JSON object {\"task\", \"item_id\", \"output\"}";
            if (!root.TryGetProperty("task", out var task) || task.ValueKind != JsonValueKind.String || task.GetString()!.Trim().Length == 0)
                return "field 'task': missing or not a string (\"<suite>/<task>\")";
            var taskName = task.GetString()!.Trim();
            if (taskName.IndexOf('/') is <= 0 || taskName.EndsWith('/')) return $"field 'task': '{taskName}' is not \"<suite>/<task>\"";
            if (!root.TryGetProperty("item_id", out var id) || id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)
                || (id.ValueKind == JsonValueKind.String && id.GetString()!.Trim().Length == 0))
                return "field 'item_id': missing or not a string or integer";
            if (!root.TryGetProperty("output", out var text) || text.ValueKind != JsonValueKind.String)
                return "field 'output': missing or not a string";
            List<string>? samples = null;
            if (root.TryGetProperty("samples", out var sampled))
            {
                if (sampled.ValueKind != JsonValueKind.Array || sampled.GetArrayLength() == 0 || sampled.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
                    return "field 'samples': not a non-empty array of strings";
                samples = sampled.EnumerateArray().Select(s => s.GetString()!).ToList();
            }
            var itemId = id.ValueKind == JsonValueKind.String ? id.GetString()!.Trim() : id.GetRawText();
            output = new ReplayOutput(number, taskName, itemId, text.GetString()!, samples);
            return null;
        }
    }

    /// <summary>
    /// The lines naming a task the run does not have or an item its task does not have; each is a problem naming its line.
    /// </summary>
    /// <param name="tasks">The run's tasks (full name → the ids of its evaluation items).</param>
    public void CheckAgainst(ModelSpec spec, string suite, IReadOnlyDictionary<string, IReadOnlySet<string>> tasks)
    {
        var problems = new List<string>();
        foreach (var output in Outputs.Values.OrderBy(o => o.Line))
        {
            if (!tasks.TryGetValue(output.Task, out var items))
                problems.Add($"{Path}:{output.Line}: field 'task': unknown task '{output.Task}'; suite '{suite}' has {string.Join(", ", tasks.Keys.Order(StringComparer.Ordinal))}");
            else if (!items.Contains(output.ItemId))
                problems.Add($"{Path}:{output.Line}: field 'item_id': task '{output.Task}' has no item '{output.ItemId}'");
        }
        if (problems.Count > 0) throw Problems(spec, problems);
    }

    private static ModelSpecException Problems(ModelSpec spec, List<string> problems) =>
        new($"model spec '{spec.Text}': option file: {problems.Count} problem(s):\n" + string.Join('\n', problems.Take(MaxProblems))
            + (problems.Count > MaxProblems ? $"\n… and {problems.Count - MaxProblems} more" : ""));
}

/// <param name="Line">Where it is in its file (1-based), for messages.</param>
/// <param name="Samples">Sampled answers for self-consistency; null when the line has none.</param>
internal sealed record ReplayOutput(int Line, string Task, string ItemId, string Output, IReadOnlyList<string>? Samples = null);
