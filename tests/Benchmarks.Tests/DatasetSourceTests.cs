using System.Security.Cryptography;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Sources;
using Evals.TestKit;

namespace Evals.Benchmarks.Tests;

/// <summary>The shipped dataset source manifests: well-formed, pointing at real suites and tasks, pinned to the official files.</summary>
public sealed class DatasetSourceTests
{
    private static readonly string Datasets = Path.Combine(SharedDatasets.RepositoryRoot, "datasets");
    private static readonly Dictionary<string, string> SharedFolder = new() { ["csl_title"] = "csl_title_summarization" };

    [Fact]
    public void Every_manifest_loads_names_a_suite_with_its_tasks_and_either_pins_files_or_says_how_to_get_them()
    {
        var sources = new DatasetSourceCatalog(Datasets).All();
        Assert.True(sources.Count >= 15, $"{sources.Count} manifests");
        var catalog = new SuiteCatalog(Datasets);
        foreach (var source in sources)
        {
            var tasks = catalog.Manifests(source.Suite).Select(m => $"{source.Suite}/{m.Manifest.Name}").ToList();
            Assert.All(source.Tasks, t => Assert.True(t.EndsWith("/*", StringComparison.Ordinal) || tasks.Contains(t), $"{source.Name}: {t} is not a task of {source.Suite}"));
            Assert.True(source.Files.Count > 0 || source.Manual is { Length: > 20 }, source.Name);
        }
        Assert.DoesNotContain(DatasetSourceCatalog.FolderName, catalog.SuiteNames());
    }

    [SharedDatasetsFact]
    public void Every_pinned_hash_and_size_is_that_of_the_official_file_in_the_shared_copy()
    {
        foreach (var source in new DatasetSourceCatalog(Datasets).All())
        {
            var folder = SharedDatasets.Get(SharedFolder.GetValueOrDefault(source.Name, source.Name));
            foreach (var file in source.Files)
            {
                var bytes = File.ReadAllBytes(Path.Combine(folder, file.Path));
                Assert.True(Convert.ToHexStringLower(SHA256.HashData(bytes)) == file.Sha256, $"{source.Name}: {file.Path}");
                Assert.Equal(bytes.Length, file.Size);
            }
        }
    }

    [Theory]
    [InlineData("""{"name": "x", "suite": "math", "format": "nope", "tasks": ["math/cmath"], "licence": "l", "licence_terms": "open", "manual": "somewhere far away, by hand"}""", "field 'format': 'nope' is not an import format")]
    [InlineData("""{"name": "x", "suite": "math", "format": "cmath", "tasks": ["math/cmath"], "licence": "l", "licence_terms": "free", "manual": "somewhere far away, by hand"}""", "field 'licence_terms'")]
    [InlineData("""{"name": "x", "suite": "math", "format": "cmath", "tasks": ["math/cmath"], "licence": "l", "licence_terms": "open"}""", "field 'files': empty")]
    [InlineData("""{"name": "x", "suite": "math", "format": "cmath", "tasks": ["math/cmath"], "licence": "l", "licence_terms": "open", "files": [{"path": "../a", "url": "https://h/a", "sha256": "0000000000000000000000000000000000000000000000000000000000000000", "size": 1}]}""", "field 'files[0].path': '../a'")]
    [InlineData("""{"name": "x", "suite": "math", "format": "cmath", "tasks": ["math/cmath"], "licence": "l", "licence_terms": "open", "files": [{"path": "a", "url": "https://h/a", "sha256": "ABC", "size": 1}]}""", "field 'files[0].sha256'")]
    [InlineData("""{"name": "x", "suite": "math", "format": "cmath", "tasks": ["math/cmath"], "licence": "l", "licence_terms": "open", "mirror": "y", "manual": "somewhere far away, by hand"}""", "x.json:1:")]
    public void A_bad_manifest_is_refused_naming_the_file_and_field(string json, string message)
    {
        var folder = Path.Combine(Directory.CreateTempSubdirectory("evals-sources-").FullName, DatasetSourceCatalog.FolderName);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "x.json"), json);
        var error = Assert.Throws<DatasetSourceException>(() => new DatasetSourceCatalog(Path.GetDirectoryName(folder)!).Get("x"));
        Assert.Contains(message, error.Message);
    }
}
