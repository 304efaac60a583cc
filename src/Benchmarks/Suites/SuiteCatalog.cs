namespace Evals.Benchmarks.Suites;

/// <summary>A suite as shipped: its name, its tasks, and its version (a hash over its tasks' versions).</summary>
public sealed record SuiteDefinition(string Name, IReadOnlyList<LoadedTask> Tasks)
{
    public string Version => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(string.Join('\n', Tasks.Select(t => $"{t.Task.FullName}@{t.Version}")))))[..16];
}

/// <summary>
/// The suites under a datasets folder: every <c>&lt;suite&gt;/&lt;task&gt;/task.json</c>, and the tasks a
/// <c>&lt;suite&gt;/suite.json</c> expands to or includes. Unknown names get an error that lists the near matches.
/// </summary>
public sealed class SuiteCatalog(string datasetsRoot)
{
    public string Root { get; } = datasetsRoot;

    public IReadOnlyList<string> SuiteNames() =>
        Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Where(d => File.Exists(Path.Combine(d, SuiteManifest.FileName))
                    || Directory.GetDirectories(d).Any(t => File.Exists(Path.Combine(t, TaskLoader.ManifestFile))))
                .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    public SuiteDefinition Load(string suite)
    {
        var tasks = Entries(suite).Select(e => e.Load()).ToList();
        var names = tasks.GroupBy(t => t.Task.FullName).FirstOrDefault(g => g.Count() > 1);
        if (names is not null) throw new TaskDataException($"{Path.Combine(Root, suite)}: two tasks are named '{names.Key}'");
        return new SuiteDefinition(suite, tasks);
    }

    /// <summary>
    /// The suite's tasks whose data is there, and the names of imported tasks left out because their eval split has not
    /// been imported (CMMLU with only some subjects' test files). Callers must show the left-out names: subject averages
    /// over fewer subjects are not the benchmark's averages. A shipped task with missing data is still an error.
    /// </summary>
    public (SuiteDefinition Suite, IReadOnlyList<string> NotImported) LoadAvailable(string suite)
    {
        var entries = Entries(suite);
        bool Missing(TaskEntry e) => e.Manifest.Source is not null && !File.Exists(Path.Combine(e.Folder, e.Manifest.Files[e.Manifest.EvalSplit]));
        var tasks = entries.Where(e => !Missing(e)).Select(e => e.Load()).ToList();
        return (new SuiteDefinition(suite, tasks), entries.Where(Missing).Select(e => $"{e.Suite}/{e.Manifest.Name}").ToList());
    }

    /// <summary>The suite's official leaderboard columns from its <c>suite.json</c>, or null (unknown suite, no suite.json, no view).</summary>
    public LeaderboardView? ViewOf(string suite)
    {
        if (!SuiteNames().Contains(suite)) return null;
        var path = Path.Combine(Root, suite, SuiteManifest.FileName);
        return File.Exists(path) ? SuiteManifest.Read(path).Leaderboard : null;
    }

    /// <summary>
    /// A suite's task manifests and the folder their <c>files</c> are relative to, without reading any data: what an
    /// import needs to know where to write, and what a listing can show before the data is imported.
    /// </summary>
    /// <summary>
    /// Suites whose runs are for admins only: <c>"private": true</c> in their <c>suite.json</c>, or including a task of
    /// such a suite. A <c>suite.json</c> that cannot be read counts as private: a broken file must not publish runs.
    /// </summary>
    public IReadOnlySet<string> PrivateSuites()
    {
        var declared = new Dictionary<string, (bool Private, List<string> Includes)>(StringComparer.Ordinal);
        foreach (var suite in SuiteNames())
        {
            var file = Path.Combine(Root, suite, SuiteManifest.FileName);
            if (!File.Exists(file))
            {
                declared[suite] = (false, []);
                continue;
            }
            try
            {
                var manifest = SuiteManifest.Read(file);
                declared[suite] = (manifest.Private, (manifest.Include ?? []).Select(p => p.Split('/')[0]).ToList());
            }
            catch (TaskDataException)
            {
                declared[suite] = (true, []);
            }
        }
        var result = declared.Where(d => d.Value.Private).Select(d => d.Key).ToHashSet(StringComparer.Ordinal);
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (suite, entry) in declared)
                if (!result.Contains(suite) && entry.Includes.Any(result.Contains)) grew |= result.Add(suite);
        }
        return result;
    }

    public IReadOnlyList<(TaskManifest Manifest, string Folder)> Manifests(string suite) =>
        Entries(suite).Select(e => (e.Manifest, e.Folder)).ToList();

    /// <summary>
    /// Every <c>&lt;task&gt;/task.json</c> of the suite, then the tasks its <c>suite.json</c> expands to, then the tasks it
    /// includes from other suites (which keep their own suite in their full name, so their scores stay comparable).
    /// </summary>
    private List<TaskEntry> Entries(string suite, Stack<string>? including = null)
    {
        if (!SuiteNames().Contains(suite)) throw new UnknownSuiteException(suite, SuiteNames());
        var folder = Path.Combine(Root, suite);
        var entries = Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
            .Select(t => Path.Combine(t, TaskLoader.ManifestFile)).Where(File.Exists)
            .Select(path => new TaskEntry(suite, TaskLoader.ReadManifest(path), Path.GetDirectoryName(path)!, File.ReadAllBytes(path), path)).ToList();
        var suiteFile = Path.Combine(folder, SuiteManifest.FileName);
        if (!File.Exists(suiteFile)) return entries;
        var manifest = SuiteManifest.Read(suiteFile);
        entries.AddRange(manifest.Expand(suiteFile)
            .Select(e => new TaskEntry(suite, e.Manifest, folder, e.Bytes, $"{suiteFile} (task '{e.Manifest.Name}')")));
        including ??= new Stack<string>();
        including.Push(suite);
        foreach (var pattern in manifest.Include ?? [])
        {
            var slash = pattern.IndexOf('/');
            if (slash <= 0 || slash == pattern.Length - 1)
                throw new TaskDataException($"{suiteFile}: field 'include': '{pattern}' is not '<suite>/<task>' or '<suite>/*'");
            var (other, task) = (pattern[..slash], pattern[(slash + 1)..]);
            if (including.Contains(other))
                throw new TaskDataException($"{suiteFile}: field 'include': '{pattern}' includes {string.Join(" → ", including.Reverse().Append(other))} in a cycle");
            var found = Entries(other, including).Where(e => task == "*" || e.Manifest.Name == task).ToList();
            if (found.Count == 0)
                throw new TaskDataException($"{suiteFile}: field 'include': no task matches '{pattern}'");
            entries.AddRange(found);
        }
        including.Pop();
        return entries;
    }

    private sealed record TaskEntry(string Suite, TaskManifest Manifest, string Folder, byte[] Bytes, string ManifestPath)
    {
        public LoadedTask Load() => TaskLoader.Load(Suite, Manifest, Bytes, Folder, ManifestPath);
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
