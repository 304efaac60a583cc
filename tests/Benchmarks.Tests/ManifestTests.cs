using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Tests;

/// <summary>Every manifest shipped under datasets/ names a known kind, metric and import format, and expands cleanly.</summary>
public class ManifestTests
{
    private static readonly SuiteCatalog Shipped = new(Path.Combine(SharedDatasets.RepositoryRoot, "datasets"));

    public static TheoryData<string> ImportedSuites => new(["clue", "ceval", "cmmlu"]);

    [Theory]
    [MemberData(nameof(ImportedSuites))]
    public void Imported_suites_declare_known_kinds_metrics_and_formats(string suite)
    {
        var manifests = Shipped.Manifests(suite);
        Assert.NotEmpty(manifests);
        Assert.Equal(manifests.Count, manifests.Select(m => m.Manifest.Name).Distinct().Count());
        foreach (var (manifest, _) in manifests)
        {
            Assert.Contains(manifest.Kind, TaskKinds.Names);
            MetricCatalog.Get(manifest.Metric);
            Assert.NotNull(manifest.Source);
            ImportFormats.Get(manifest.Source.Format);
            Assert.Contains(manifest.EvalSplit, manifest.Files.Keys);
            Assert.All(manifest.Files.Values, f => Assert.StartsWith("data/", f));
            Assert.NotEmpty(manifest.Capabilities);
            Assert.DoesNotContain("{subject", manifest.Instruction ?? "");
            // the task can be built (kind-specific manifest checks) before any data is imported
            TaskKinds.Create(suite, manifest, []);
        }
    }

    [Fact]
    public void Shipped_smoke_suite_still_loads_beside_the_imported_suites()
    {
        Assert.Equal(["ceval", "clue", "cmmlu", "smoke"], Shipped.SuiteNames().Where(n => n is "ceval" or "clue" or "cmmlu" or "smoke"));
        Assert.Equal(3, Shipped.Load("smoke").Tasks.Count);
    }

    [Fact]
    public void Clue_manifests_match_the_tasks_the_clue_import_produces()
    {
        var names = Shipped.Manifests("clue").Select(m => m.Manifest.Source!.Task ?? m.Manifest.Name).Order();
        Assert.Equal(ClueFolderReaderTaskNames().Order(), names);
    }

    [Fact]
    public void Suite_expansion_substitutes_only_the_subject_placeholders()
    {
        var suite = new SuiteManifest
        {
            Name = "exam",
            Subjects = new() { ["law"] = new SubjectEntry("法学", "Law", ["Humanities"]) },
            Task = System.Text.Json.Nodes.JsonNode.Parse("""
                {"name": "{subject}", "kind": "multiple_choice", "files": {"test": "data/{subject}/test.jsonl"},
                 "answer_field": "answer", "choices_field": "choices",
                 "instruction": "关于{subject_zh}（{subject_en}）", "template": "{question}\n{choices}\n答案："}
                """)!.AsObject(),
        };
        var (manifest, bytes) = suite.Expand("suite.json").Single();
        Assert.Equal("law", manifest.Name);
        Assert.Equal("data/law/test.jsonl", manifest.Files["test"]);
        Assert.Equal("关于法学（Law）", manifest.Instruction);
        Assert.Equal("{question}\n{choices}\n答案：", manifest.Template);
        Assert.Equal(["Humanities"], manifest.Categories);
        Assert.Equal(bytes, suite.Expand("suite.json").Single().Bytes);
    }

    private static IEnumerable<string> ClueFolderReaderTaskNames() =>
        Suites.Clue.ClueFolderReader.TaskReaders.Select(r => r.Format);
}
