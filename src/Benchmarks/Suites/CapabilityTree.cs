using System.Text.Json;

namespace Evals.Benchmarks.Suites;

/// <summary>One capability of the tree and the tasks (<c>suite/task</c> or <c>suite/*</c>) that measure it.</summary>
public sealed record Capability(string Name, string NameEn, IReadOnlyList<string> Tasks);

/// <summary>
/// The CUGE-style capability tree, read from <c>datasets/capabilities.json</c>: data, not code. A task the tree does
/// not name (a suite of one's own) counts towards the capabilities its manifest's <c>capabilities</c> lists.
/// </summary>
public sealed class CapabilityTree
{
    public const string FileName = "capabilities.json";

    public static readonly CapabilityTree Empty = new([]);

    /// <param name="referenceModels">
    /// Suite → the registered model whose latest succeeded run on that suite every run of it is scored relative to (CUGE's
    /// p/b: the reference's score = 100, as CUGE uses mT5-small). Empty: chance normalisation only.
    /// </param>
    public CapabilityTree(IReadOnlyList<Capability> capabilities, IReadOnlyDictionary<string, string>? referenceModels = null)
    {
        ReferenceModels = referenceModels ?? new Dictionary<string, string>();
        foreach (var (suite, model) in ReferenceModels)
            if (string.IsNullOrWhiteSpace(suite) || suite.Contains('/') || string.IsNullOrWhiteSpace(model))
                throw new TaskDataException($"{FileName}: reference_models: '{suite}' → '{model}' must map a suite name to a registered model's name");
        var duplicate = capabilities.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new TaskDataException($"{FileName}: capability '{duplicate.Key}' is declared twice");
        foreach (var pattern in capabilities.SelectMany(c => c.Tasks))
            if (pattern.IndexOf('/') is <= 0 || pattern.EndsWith('/'))
                throw new TaskDataException($"{FileName}: task '{pattern}' is not '<suite>/<task>' or '<suite>/*'");
        Capabilities = capabilities;
    }

    public IReadOnlyList<Capability> Capabilities { get; }

    public IReadOnlyDictionary<string, string> ReferenceModels { get; }

    /// <summary>The tree under a datasets folder, or <see cref="Empty"/> when it has none.</summary>
    public static CapabilityTree Load(string datasetsRoot)
    {
        var path = Path.Combine(datasetsRoot, FileName);
        if (!File.Exists(path)) return Empty;
        try
        {
            var file = JsonSerializer.Deserialize<TreeFile>(File.ReadAllBytes(path), TaskManifest.Json)
                ?? throw new TaskDataException($"{path}: empty");
            return new CapabilityTree(file.Capabilities.Select(c => new Capability(c.Name, c.NameEn ?? c.Name, c.Tasks)).ToList(), file.ReferenceModels);
        }
        catch (JsonException e)
        {
            throw new TaskDataException($"{path}:{(e.LineNumber ?? 0) + 1}: {e.Message}");
        }
    }

    /// <summary>The capabilities a task counts towards: the tree's, else its manifest's own tags.</summary>
    public IReadOnlyList<string> Of(string taskFullName, TaskManifest manifest)
    {
        var slash = taskFullName.IndexOf('/');
        var suite = slash > 0 ? taskFullName[..slash] : taskFullName;
        var named = Capabilities.Where(c => c.Tasks.Any(p => p == taskFullName || p == $"{suite}/*")).Select(c => c.Name).ToList();
        return named.Count > 0 ? named : manifest.Capabilities;
    }

    private sealed record TreeFile(string? Description, List<CapabilityEntry> Capabilities, Dictionary<string, string>? ReferenceModels = null);

    private sealed record CapabilityEntry(string Name, string? NameEn, List<string> Tasks);
}
