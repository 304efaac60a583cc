using System.Text;
using System.Text.Json;

namespace Evals.Benchmarks.Suites.Import;

/// <summary>
/// One problem in an official file, printed as <c>file:line: what is wrong</c>. A fatal problem (a missing file, a file
/// that is not JSON at all, a wrong CSV header) stops the import even with skip-bad; a line problem only skips its line.
/// </summary>
/// <param name="Line">1-based; 0 when the problem concerns the whole file.</param>
public sealed record ImportProblem(string File, int Line, string Message, bool Fatal = false)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>The items of one task read from official files, ready to be stored (or written as JSON Lines).</summary>
/// <param name="Name">Task name without the suite: <c>afqmc</c>, <c>accountant</c>.</param>
/// <param name="Metadata">What the format says about the task besides its items (C-Eval's Chinese subject name, category).</param>
public sealed record ImportedTask(string Name, IReadOnlyList<TaskItem> Items, IReadOnlyDictionary<string, string> Metadata)
{
    public IReadOnlyList<string> Splits => Items.Select(i => i.Split).Distinct().Order(StringComparer.Ordinal).ToList();

    public int Count(string split) => Items.Count(i => i.Split == split);

    /// <summary>
    /// The items of one split as JSON Lines, the layout <see cref="TaskLoader"/> reads (each item carries its id in
    /// <c>id</c>): what <c>evals import</c> writes to <c>datasets/&lt;suite&gt;/&lt;task&gt;/data/&lt;split&gt;.jsonl</c>.
    /// </summary>
    public string ToJsonLines(string split)
    {
        var text = new StringBuilder();
        foreach (var item in Items.Where(i => i.Split == split))
            text.Append(JsonSerializer.Serialize(item.Fields, TaskManifest.Json)).Append('\n');
        return text.ToString();
    }
}

/// <param name="Problems">Every problem found. With skip-bad these lines were left out; without it nothing was imported.</param>
/// <param name="Notes">What was left out on purpose, as the benchmark's authors direct (OCNLI's '-' items, hidden test labels).</param>
public sealed record ImportResult(string Format, bool SkipBad, IReadOnlyList<ImportedTask> Tasks, IReadOnlyList<ImportProblem> Problems, IReadOnlyList<string> Notes)
{
    /// <summary>False when the import must be refused (exit code 2, nothing written); <see cref="Tasks"/> is then empty.</summary>
    public bool Succeeded => !Problems.Any(p => p.Fatal) && (SkipBad || Problems.Count == 0);

    public int ItemCount => Tasks.Sum(t => t.Items.Count);

    public ImportedTask Task(string name) =>
        Tasks.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"import of '{Format}' has no task '{name}'; it has {string.Join(", ", Tasks.Select(t => t.Name))}");
}
