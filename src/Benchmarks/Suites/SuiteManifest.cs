using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// <c>datasets/&lt;suite&gt;/suite.json</c>: one task template and a table of subjects, expanded into one task per subject,
/// so that a many-subject exam (C-Eval's 52, CMMLU's 67) is one table rather than one folder per subject. In the template,
/// every string may use <c>{subject}</c> (the key), <c>{subject_zh}</c> and <c>{subject_en}</c>; other <c>{…}</c> are left
/// for the task (item fields). A subject's <c>categories</c> become the task's unless the template sets its own.
/// A suite may also (or only) <c>include</c> other suites' tasks: <c>"clue/ocnli"</c>, or <c>"ceval/*"</c> for all of them.
/// </summary>
public sealed record SuiteManifest
{
    public const string FileName = "suite.json";

    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>Subject key → its names and categories; tasks are expanded in key order.</summary>
    public Dictionary<string, SubjectEntry> Subjects { get; init; } = [];
    /// <summary>A <see cref="TaskManifest"/> with the placeholders above; required when there are subjects.</summary>
    public JsonObject? Task { get; init; }
    /// <summary>Other suites' tasks that belong to this one too: <c>&lt;suite&gt;/&lt;task&gt;</c> or <c>&lt;suite&gt;/*</c>.</summary>
    public List<string>? Include { get; init; }
    /// <summary>The columns the leaderboard opens on for this suite (the benchmark's own report); absent: one column per task.</summary>
    public LeaderboardView? Leaderboard { get; init; }
    /// <summary>
    /// The suite's items are not for everyone (users' own inputs, unpublished questions): its runs are shown to admins
    /// only. A <c>suite.json</c> may say just this, beside task folders that declare the tasks.
    /// </summary>
    public bool Private { get; init; }

    public static SuiteManifest Read(string path)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<SuiteManifest>(File.ReadAllBytes(path), TaskManifest.Json)
                ?? throw new TaskDataException($"{path}: empty suite manifest");
            if (manifest.Subjects.Count == 0 && manifest.Include is not { Count: > 0 } && !manifest.Private && manifest.Leaderboard is null)
                throw new TaskDataException($"{path}: neither 'subjects' (with 'task') nor 'include' declares a task");
            if (manifest.Subjects.Count > 0 && manifest.Task is null)
                throw new TaskDataException($"{path}: field 'task': required with 'subjects'");
            if (manifest.Leaderboard is { } view)
            {
                var categories = manifest.Subjects.Values.SelectMany(s => s.Categories ?? []).ToHashSet(StringComparer.Ordinal);
                var tasks = FolderTasks(Path.GetDirectoryName(Path.GetFullPath(path))!);
                if (view.Columns.Count == 0) throw new TaskDataException($"{path}: field 'leaderboard.columns': empty");
                foreach (var column in view.Columns)
                    if (column.Key != Metrics.CategoryAverages.Overall && !categories.Contains(column.Key) && !tasks.Contains(column.Key))
                        throw new TaskDataException($"{path}: field 'leaderboard.columns': '{column.Key}' is neither '{Metrics.CategoryAverages.Overall}' nor a subject category nor a task of the suite ({string.Join(", ", categories.Concat(tasks).Order(StringComparer.Ordinal))})");
                foreach (var category in view.OverallOf ?? [])
                    if (!categories.Contains(category))
                        throw new TaskDataException($"{path}: field 'leaderboard.overall_of': '{category}' is not a subject category ({string.Join(", ", categories.Order(StringComparer.Ordinal))})");
            }
            return manifest;
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"{path}:{line + 1}" : path;
            throw new TaskDataException($"{where}: {e.Message}");
        }
    }

    /// <summary>The names of the tasks in the suite's own task folders (<c>&lt;suite&gt;/&lt;task&gt;/task.json</c>).</summary>
    private static HashSet<string> FolderTasks(string suiteFolder) =>
        Directory.GetDirectories(suiteFolder).Select(t => Path.Combine(t, TaskLoader.ManifestFile)).Where(File.Exists)
            .Select(m => TaskLoader.ReadManifest(m).Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The task manifests, each with the exact bytes that enter its version hash.</summary>
    public IReadOnlyList<(TaskManifest Manifest, byte[] Bytes)> Expand(string path)
    {
        var tasks = new List<(TaskManifest, byte[])>();
        foreach (var (subject, entry) in Subjects.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var node = (JsonObject)Substitute(Task!.DeepClone(), subject, entry)!;
            if (!node.ContainsKey("categories") && entry.Categories is { Count: > 0 } categories)
                node["categories"] = new JsonArray(categories.Select(c => (JsonNode?)c).ToArray());
            var bytes = Encoding.UTF8.GetBytes(node.ToJsonString(TaskManifest.Json));
            try
            {
                var manifest = JsonSerializer.Deserialize<TaskManifest>(bytes, TaskManifest.Json)
                    ?? throw new TaskDataException($"{path}: field 'task': empty");
                tasks.Add((manifest, bytes));
            }
            catch (JsonException e)
            {
                throw new TaskDataException($"{path}: field 'task' (subject '{subject}'): {e.Message}");
            }
        }
        return tasks;
    }

    private static JsonNode? Substitute(JsonNode? node, string subject, SubjectEntry entry)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList()) obj[key] = Substitute(value?.DeepClone(), subject, entry);
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) array[i] = Substitute(array[i]?.DeepClone(), subject, entry);
                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                return JsonValue.Create(text.Replace("{subject_zh}", entry.NameZh, StringComparison.Ordinal)
                    .Replace("{subject_en}", entry.NameEn ?? subject, StringComparison.Ordinal)
                    .Replace("{subject}", subject, StringComparison.Ordinal));
            default:
                return node;
        }
    }
}

/// <param name="NameZh">The Chinese subject name the official prompts use (C-Eval: 计算机网络).</param>
public sealed record SubjectEntry(string NameZh, string? NameEn = null, List<string>? Categories = null);

/// <summary>
/// A suite's official leaderboard view: columns that are subject-category averages, tasks of the suite (CLUE's table is
/// its tasks), or <c>overall</c>, the mean over subjects (with task columns: the plain mean of those tasks, CLUE's 总分).
/// </summary>
/// <param name="OverallOf">
/// Where the benchmark's overall is not the mean over subjects: the categories whose averages it is the mean of
/// (AlignBench: 总分 = (推理 + 语言) / 2).
/// </param>
public sealed record LeaderboardView(List<ViewColumn> Columns, List<string>? OverallOf = null)
{
    /// <summary>
    /// What the view averages a task of the suite into: its own categories, and its name where a column is that task,
    /// so a task column is the task's score and <c>overall</c> the mean over the view's tasks.
    /// </summary>
    public IReadOnlyList<string> CategoriesOf(string taskFullName, IReadOnlyList<string> categories)
    {
        var name = taskFullName[(taskFullName.IndexOf('/') + 1)..];
        return Columns.Any(c => c.Key == name) ? [.. categories, name] : categories;
    }
}

/// <param name="Key">A subject category (C-Eval's STEM, Hard …), a task of the suite (CLUE's afqmc) or <c>overall</c>.</param>
/// <param name="Label">The header as the benchmark's own leaderboard prints it.</param>
public sealed record ViewColumn(string Key, string Label);
