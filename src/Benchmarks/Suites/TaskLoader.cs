using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Evals.Benchmarks.Suites;

/// <summary>A task read from its folder, with its version: the SHA-256 of the manifest and every data file.</summary>
public sealed record LoadedTask(EvalTask Task, string Version, string ManifestJson);

/// <summary>Reads <c>datasets/&lt;suite&gt;/&lt;task&gt;/task.json</c> and its JSON Lines files, validating every line.</summary>
public static class TaskLoader
{
    public const string ManifestFile = "task.json";

    public static LoadedTask Load(string suite, string folder)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        var manifestBytes = File.ReadAllBytes(manifestPath);
        return Load(suite, Parse(manifestBytes, manifestPath), manifestBytes, folder, manifestPath);
    }

    public static TaskManifest ReadManifest(string manifestPath) => Parse(File.ReadAllBytes(manifestPath), manifestPath);

    private static TaskManifest Parse(byte[] manifestBytes, string manifestPath)
    {
        try
        {
            return JsonSerializer.Deserialize<TaskManifest>(manifestBytes, TaskManifest.Json)
                ?? throw new TaskDataException($"{manifestPath}: empty manifest");
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"{manifestPath}:{line + 1}" : manifestPath;
            throw new TaskDataException($"{where}: {e.Message}");
        }
    }

    /// <summary>
    /// Loads a task from a manifest already in hand (one expanded from a suite manifest): <paramref name="manifestBytes"/>
    /// enter the version hash, <paramref name="folder"/> is where its files are, <paramref name="manifestPath"/> names it in errors.
    /// </summary>
    public static LoadedTask Load(string suite, TaskManifest manifest, byte[] manifestBytes, string folder, string manifestPath)
    {
        if (!manifest.Files.ContainsKey(manifest.EvalSplit))
            throw new TaskDataException($"{manifestPath}: field 'eval_split': split '{manifest.EvalSplit}' has no entry in 'files'");
        if (manifest.FewshotSplit is { } fs && !manifest.Files.ContainsKey(fs))
            throw new TaskDataException($"{manifestPath}: field 'fewshot_split': split '{fs}' has no entry in 'files'");

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(manifestBytes);
        var raw = new List<(TaskItem Item, string File, int Line)>();
        foreach (var (split, file) in manifest.Files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
                throw new TaskDataException(manifest.Source is { } source
                    ? $"{manifestPath}: field 'files.{split}': {path} does not exist; this task's data is imported: run `evals import {source.Format} --path DIR`{(source.Obtain is null ? "" : $" with the official files from {source.Obtain}")}"
                    : $"{manifestPath}: field 'files.{split}': {path} does not exist");
            var bytes = File.ReadAllBytes(path);
            hash.AppendData(Encoding.UTF8.GetBytes($"\n{split}\n"));
            hash.AppendData(bytes);
            raw.AddRange(ReadJsonLines(path, bytes, split, manifest.IdField));
        }
        var task = TaskKinds.Create(suite, manifest, raw.Select(r => r.Item).ToList());
        var problems = raw.Select(r => (r, Problem: task.Check(r.Item))).Where(p => p.Problem is not null)
            .Select(p => $"{p.r.File}:{p.r.Line}: {p.Problem}").ToList();
        var duplicate = raw.GroupBy(r => (r.Item.Split, r.Item.Id)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            problems.Add($"{duplicate.ElementAt(1).File}:{duplicate.ElementAt(1).Line}: field '{manifest.IdField}': id '{duplicate.Key.Id}' already used on line {duplicate.First().Line}");
        if (problems.Count > 0) throw new TaskDataException(string.Join('\n', problems));
        var version = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        return new LoadedTask(task, version, Encoding.UTF8.GetString(manifestBytes));
    }

    private static IEnumerable<(TaskItem, string, int)> ReadJsonLines(string path, byte[] bytes, string split, string idField)
    {
        var text = Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF');
        var lines = text.Split('\n');
        var ordinal = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            JsonElement element;
            try
            {
                element = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new TaskDataException($"{path}:{i + 1}: not valid JSON ({e.Message})");
            }
            var id = element.ValueKind == JsonValueKind.Object && element.TryGetProperty(idField, out var idValue)
                ? idValue.ValueKind == JsonValueKind.String ? idValue.GetString() : idValue.GetRawText()
                : null;
            if (string.IsNullOrWhiteSpace(id)) throw new TaskDataException($"{path}:{i + 1}: field '{idField}': missing item id");
            yield return (new TaskItem(id, split, ordinal++, element), path, i + 1);
        }
    }
}
