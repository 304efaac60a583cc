using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Tests;

/// <summary>
/// A copy of the shipped manifests (datasets/clue, ceval, cmmlu) in a temporary folder, filled the way <c>evals import</c>
/// fills them: read the shared official files, plan the writes from the manifests, write the JSON Lines. Built once per
/// test class because reading every shared file takes a few seconds.
/// </summary>
public sealed class ImportedSuitesFixture : IDisposable
{
    public ImportedSuitesFixture()
    {
        Root = Directory.CreateTempSubdirectory("evals-suites-").FullName;
        foreach (var suite in new[] { "clue", "ceval", "cmmlu" })
            Copy(Path.Combine(SharedDatasets.RepositoryRoot, "datasets", suite), Path.Combine(Root, suite));
        Catalog = new SuiteCatalog(Root);
        // Without the shared copy the tests that need it are skipped (or, under CI, fail in RequireImported).
        if (!Directory.Exists(SharedDatasetsRule.Root)) return;
        // The CLUE tasks one by one rather than through the 'clue' folder format, so that ReaderTests' cached reads serve.
        var imports = new[]
        {
            ("afqmc", "clue_afqmc"), ("ocnli", "clue_ocnli"), ("tnews", "fewclue/tnews"), ("iflytek", "fewclue/iflytek"),
            ("csl", "fewclue/csl"), ("cluewsc", "fewclue/cluewsc"), ("chid", "fewclue/chid"), ("cmrc2018", "cmrc2018"), ("c3", "c3"),
            ("ceval", "ceval"), ("cmmlu", "cmmlu"),
        };
        foreach (var (format, folder) in imports)
        {
            var reader = ImportFormats.Get(format);
            var result = SharedDatasets.Import(format, folder);
            if (!result.Succeeded) throw new InvalidOperationException(string.Join('\n', result.Problems));
            var plan = ImportPlan.For(Catalog.Manifests(reader.DefaultSuite), result);
            Plans[format] = plan;
            foreach (var write in plan.Writes)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(write.Path)!);
                File.WriteAllText(write.Path, write.JsonLines);
            }
        }
    }

    public string Root { get; }
    public SuiteCatalog Catalog { get; }

    /// <summary>Fails the test, naming the folder, when the shared datasets were not there to import.</summary>
    public void RequireImported() => SharedDatasets.Get();
    /// <summary>Import plan per format (afqmc, …, ceval, cmmlu).</summary>
    public Dictionary<string, ImportPlan.Plan> Plans { get; } = [];

    private readonly Dictionary<string, SuiteDefinition> _loaded = [];

    public SuiteDefinition Load(string suite)
    {
        lock (_loaded)
        {
            // CMMLU's shared copy has test files for 7 of its 67 subjects.
            if (!_loaded.TryGetValue(suite, out var definition))
                _loaded[suite] = definition = suite == "cmmlu" ? Catalog.LoadAvailable(suite).Suite : Catalog.Load(suite);
            return definition;
        }
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Contains("data")) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
