using System.Text.Json;
using System.Text.Json.Nodes;

namespace Evals.Benchmarks.Suites.Import;

/// <summary>Collects the items and problems of one import; readers add to it and <see cref="Build"/> applies skip-bad.</summary>
internal sealed class ImportBuilder(string format, bool skipBad)
{
    private readonly List<ImportProblem> _problems = [];
    private readonly List<string> _notes = [];
    private readonly Dictionary<string, TaskBuffer> _tasks = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public string Format { get; } = format;
    public bool SkipBad { get; } = skipBad;

    public void Problem(string file, int line, string message) => _problems.Add(new ImportProblem(file, line, message));

    public void Fatal(string file, int line, string message) => _problems.Add(new ImportProblem(file, line, message, Fatal: true));

    public void Note(string note) => _notes.Add(note);

    public void Merge(ImportResult other, Func<string, string>? rename = null)
    {
        _problems.AddRange(other.Problems);
        _notes.AddRange(other.Notes);
        foreach (var task in other.Tasks)
        {
            var buffer = Buffer(rename?.Invoke(task.Name) ?? task.Name, task.Metadata);
            foreach (var item in task.Items) buffer.Items.Add(item);
        }
    }

    public void Describe(string task, IReadOnlyDictionary<string, string> metadata) => Buffer(task, metadata);

    /// <summary>
    /// Adds one item. <paramref name="fields"/> gets the id as its first field, <c>id</c>, so that the stored item and its
    /// JSON Lines form carry it whatever the original called it.
    /// </summary>
    public void Add(string task, string split, string id, JsonObject fields, string file, int line)
    {
        var buffer = Buffer(task, null);
        if (!buffer.Seen.TryAdd((split, id), line))
        {
            Problem(file, line, $"id '{id}' is already used on line {buffer.Seen[(split, id)]} of split '{split}'");
            return;
        }
        var withId = new JsonObject { ["id"] = id };
        foreach (var (key, value) in fields.ToList())
        {
            if (key == "id") continue;
            fields.Remove(key);
            withId[key] = value;
        }
        var ordinal = buffer.Ordinals[split] = buffer.Ordinals.GetValueOrDefault(split, -1) + 1;
        // The relaxed encoder keeps Chinese text as it is; the default one escapes every character, several times slower.
        buffer.Items.Add(new TaskItem(id, split, ordinal, JsonSerializer.SerializeToElement(withId, TaskManifest.Json)));
    }

    public ImportResult Build()
    {
        var result = new ImportResult(Format, SkipBad, [], _problems.ToList(), _notes.ToList());
        if (!result.Succeeded) return result;
        var tasks = _order.Select(n => new ImportedTask(n, _tasks[n].Items.ToList(), _tasks[n].Metadata)).Where(t => t.Items.Count > 0).ToList();
        return result with { Tasks = tasks };
    }

    private TaskBuffer Buffer(string task, IReadOnlyDictionary<string, string>? metadata)
    {
        if (!_tasks.TryGetValue(task, out var buffer))
        {
            buffer = new TaskBuffer(metadata ?? new Dictionary<string, string>());
            _tasks[task] = buffer;
            _order.Add(task);
        }
        else if (metadata is not null && buffer.Metadata.Count == 0)
        {
            _tasks[task] = buffer = buffer with { Metadata = metadata };
        }
        return buffer;
    }

    private sealed record TaskBuffer(IReadOnlyDictionary<string, string> Metadata)
    {
        public List<TaskItem> Items { get; } = [];
        public Dictionary<(string Split, string Id), int> Seen { get; } = [];
        public Dictionary<string, int> Ordinals { get; } = new(StringComparer.Ordinal);
    }
}
