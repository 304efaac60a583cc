namespace Evals.Benchmarks.Suites.Import;

/// <summary>One JSON Lines file an import writes: the items of one split of one task, where its manifest expects them.</summary>
public sealed record ImportWrite(string Task, string Split, string Path, string JsonLines, int Count);

/// <summary>
/// Where an import's items go in a suite: each imported task is matched to the manifest whose <c>source</c> names it
/// (<c>source.task</c>, else the manifest's name), and each of its splits to that manifest's <c>files</c> entry.
/// Pure: it computes the writes, the caller (the CLI) performs them and stores the items.
/// </summary>
public static class ImportPlan
{
    /// <param name="Unplaced">Imported tasks or splits that no manifest of the suite declares; stored, but not runnable until one does.</param>
    public sealed record Plan(IReadOnlyList<ImportWrite> Writes, IReadOnlyList<string> Unplaced);

    public static Plan For(IReadOnlyList<(TaskManifest Manifest, string Folder)> manifests, ImportResult result)
    {
        var writes = new List<ImportWrite>();
        var unplaced = new List<string>();
        foreach (var task in result.Tasks)
        {
            var match = manifests.FirstOrDefault(m => m.Manifest.Source is { } source && (source.Task ?? m.Manifest.Name) == task.Name);
            if (match.Manifest is null)
            {
                unplaced.Add($"task '{task.Name}': no manifest in the suite imports it");
                continue;
            }
            foreach (var split in task.Splits)
            {
                if (!match.Manifest.Files.TryGetValue(split, out var file))
                {
                    unplaced.Add($"task '{task.Name}': split '{split}' is not in the manifest's 'files'");
                    continue;
                }
                writes.Add(new ImportWrite(task.Name, split, Path.GetFullPath(Path.Combine(match.Folder, file)), task.ToJsonLines(split), task.Count(split)));
            }
        }
        return new Plan(writes, unplaced);
    }
}
