namespace Evals.Benchmarks.Suites;

/// <summary>A suite as shipped: its name, its tasks, and its version (a hash over its tasks' versions).</summary>
public sealed record SuiteDefinition(string Name, IReadOnlyList<LoadedTask> Tasks)
{
    public string Version => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(string.Join('\n', Tasks.Select(t => $"{t.Task.FullName}@{t.Version}")))))[..16];
}

/// <summary>
/// The suites under a datasets folder: every <c>&lt;suite&gt;/&lt;task&gt;/task.json</c>. Unknown names get an error that lists
/// the near matches.
/// </summary>
public sealed class SuiteCatalog(string datasetsRoot)
{
    public string Root { get; } = datasetsRoot;

    public IReadOnlyList<string> SuiteNames() =>
        Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Where(d => Directory.GetDirectories(d).Any(t => File.Exists(Path.Combine(t, TaskLoader.ManifestFile))))
                .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    public SuiteDefinition Load(string suite)
    {
        var folder = Path.Combine(Root, suite);
        if (!SuiteNames().Contains(suite))
            throw new UnknownSuiteException(suite, SuiteNames());
        var tasks = Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
            .Where(t => File.Exists(Path.Combine(t, TaskLoader.ManifestFile)))
            .Select(t => TaskLoader.Load(suite, t)).ToList();
        var names = tasks.GroupBy(t => t.Task.FullName).FirstOrDefault(g => g.Count() > 1);
        if (names is not null) throw new TaskDataException($"{folder}: two tasks are named '{names.Key}'");
        return new SuiteDefinition(suite, tasks);
    }

    /// <summary>The datasets folder: <c>Evals:Datasets</c> when set, else the nearest <c>datasets</c> folder above the app.</summary>
    public static string FindDatasetsRoot(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "datasets");
                if (Directory.Exists(Path.Combine(candidate, "smoke"))) return candidate;
            }
        return Path.Combine(Directory.GetCurrentDirectory(), "datasets");
    }
}

public sealed class UnknownSuiteException(string suite, IReadOnlyList<string> known)
    : Exception(Describe(suite, known))
{
    private static string Describe(string suite, IReadOnlyList<string> known)
    {
        var near = known.Where(k => k.Contains(suite, StringComparison.OrdinalIgnoreCase) || suite.Contains(k, StringComparison.OrdinalIgnoreCase)
            || Levenshtein(k, suite) <= 2).ToList();
        var hint = near.Count > 0 ? $"; did you mean {string.Join(" or ", near)}?" : "";
        return $"unknown suite '{suite}'{hint} known suites: {(known.Count == 0 ? "(none)" : string.Join(", ", known))}";
    }

    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
