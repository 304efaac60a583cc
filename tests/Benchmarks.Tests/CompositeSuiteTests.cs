using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Tests;

public sealed class CompositeSuiteTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("evals-composite-").FullName;

    public CompositeSuiteTests()
    {
        foreach (var task in new[] { "yes", "no" })
        {
            Write($"base/{task}/task.json", $$"""
                {"name": "{{task}}", "kind": "classification", "files": {"test": "test.jsonl"}, "answer_field": "label",
                 "labels": [{"value": "1", "word": "是"}, {"value": "0", "word": "否"}], "template": "{text}\n答："}
                """);
            Write($"base/{task}/test.jsonl", """{"id": "1", "text": "天是蓝的吗？", "label": "1"}""" + "\n");
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void A_suite_can_include_other_suites_tasks_which_keep_their_own_names()
    {
        Write("mix/suite.json", """{"name": "mix", "include": ["base/yes"]}""");
        Write("all/suite.json", """{"name": "all", "include": ["base/*"]}""");
        var catalog = new SuiteCatalog(_root);
        Assert.Equal(["base/yes"], catalog.Load("mix").Tasks.Select(t => t.Task.FullName));
        Assert.Equal(["base/no", "base/yes"], catalog.Load("all").Tasks.Select(t => t.Task.FullName));
        Assert.Equal(catalog.Load("base").Tasks.Single(t => t.Task.Manifest.Name == "yes").Version, catalog.Load("mix").Tasks.Single().Version);
    }

    [Fact]
    public void An_include_cycle_or_an_include_that_matches_nothing_is_an_error()
    {
        Write("x/suite.json", """{"name": "x", "include": ["y/*"]}""");
        Write("y/suite.json", """{"name": "y", "include": ["x/*"]}""");
        Write("z/suite.json", """{"name": "z", "include": ["base/maybe"]}""");
        var catalog = new SuiteCatalog(_root);
        Assert.Contains("x → y → x in a cycle", Assert.Throws<TaskDataException>(() => catalog.Load("x")).Message);
        Assert.Contains("no task matches 'base/maybe'", Assert.Throws<TaskDataException>(() => catalog.Load("z")).Message);
        Assert.Throws<UnknownSuiteException>(() => new SuiteCatalog(_root).Manifests("nope"));
    }
}
