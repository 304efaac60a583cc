using System.Text.Json;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Tests;

/// <summary>The capability tree against the manifests, circular rotations, seeded few-shot order and acc_norm by characters.</summary>
public class CapabilityAndPromptTests
{
    private static readonly string Datasets = Path.Combine(SharedDatasets.RepositoryRoot, "datasets");

    [Fact]
    public void Every_shipped_task_sits_in_the_tree_under_the_capabilities_its_manifest_names()
    {
        var tree = CapabilityTree.Load(Datasets);
        Assert.NotEmpty(tree.Capabilities);
        var catalog = new SuiteCatalog(Datasets);
        foreach (var suite in new[] { "smoke", "clue", "ceval", "cmmlu", "cuge", "math" })
            foreach (var (manifest, _) in catalog.Manifests(suite))
            {
                var fromTree = tree.Capabilities.Where(c => c.Tasks.Any(p => p == $"{suite}/{manifest.Name}" || p == $"{suite}/*")).Select(c => c.Name);
                Assert.Equal(manifest.Capabilities.Order(), fromTree.Order());
            }
        // A task of one's own that the tree does not name keeps its manifest's tags.
        var own = Manifest() with { Capabilities = ["数学"] };
        Assert.Equal(["数学"], tree.Of("mine/numbers", own));
    }

    [Fact]
    public void Rotation_moves_every_option_through_every_letter_and_the_gold_with_it()
    {
        var task = new ChoiceTask("t", Manifest(), [Item("q1", "test", 0, "C")]);
        var item = task.Items[0];
        Assert.Equal(4, task.Rotations(item));
        var golds = Enumerable.Range(0, 4).Select(r => task.Prepare(item, 0, r)).ToList();
        Assert.Equal([2, 1, 0, 3], golds.Select(p => p.AnswerIndex));
        Assert.All(golds, p => Assert.Equal("丙", p.Options![p.AnswerIndex]));
        Assert.Contains("A. 丙\nB. 丁\nC. 甲\nD. 乙", golds[2].Prompt);
    }

    [Fact]
    public void Seeded_shots_are_the_same_for_every_item_whatever_the_file_order_and_differ_by_seed()
    {
        var pool = Enumerable.Range(0, 20).Select(i => Item($"s{i}", "train", i, "A")).ToList();
        var question = Item("q", "test", 0, "B");
        var forward = new ChoiceTask("t", Manifest(), [.. pool, question]);
        var backward = new ChoiceTask("t", Manifest(), [.. Enumerable.Reverse(pool).Select((s, i) => s with { Ordinal = i }), question]);
        var shots = forward.Shots(question, 5).Select(s => s.Id).ToList();
        Assert.Equal(shots, backward.Shots(question, 5).Select(s => s.Id));
        Assert.NotEqual(pool.Take(5).Select(s => s.Id), shots);
        var reseeded = new ChoiceTask("t", Manifest() with { FewshotSeed = 7 }, [.. pool, question]);
        Assert.NotEqual(shots, reseeded.Shots(question, 5).Select(s => s.Id));
        var first = new ChoiceTask("t", Manifest() with { FewshotSampling = "first" }, [.. pool, question]);
        Assert.Equal(pool.Take(5).Select(s => s.Id), first.Shots(question, 5).Select(s => s.Id));
        // An item of the few-shot split is never its own example.
        Assert.DoesNotContain("s3", forward.Shots(pool[3], 19).Select(s => s.Id));
    }

    [Fact]
    public void Acc_norm_divides_by_characters_so_a_long_chinese_option_is_not_penalised_three_times()
    {
        var manifest = Manifest() with { AnswerStyle = "text" };
        var task = new ChoiceTask("t", manifest, [Item("q", "test", 0, "B", ["是", "不是的呢"])]);
        var prepared = task.Prepare(task.Items[0], 0);
        // Raw log-likelihood picks the short option; per character, −2/1 = −2 against −6/4 = −1.5, the longer gold one wins.
        var verdict = task.ScoreChoices(prepared, new ChoiceScores([-2, -6], 0));
        Assert.Equal(Outcome.Wrong, verdict.Outcome);
        Assert.Equal(100, verdict.Metrics!["acc_norm_chars"]);
    }

    private static TaskManifest Manifest() => new()
    {
        Name = "numbers", Kind = "multiple_choice", Files = new() { ["test"] = "test.jsonl", ["train"] = "train.jsonl" },
        FewshotSplit = "train", AnswerField = "answer", ChoicesField = "choices", Template = "{question}\n{choices}\n答案：",
        Capabilities = ["知识/常识"],
    };

    private static TaskItem Item(string id, string split, int ordinal, string answer, string[]? choices = null) =>
        new(id, split, ordinal, JsonSerializer.SerializeToElement(new { id, question = $"问题{id}", choices = choices ?? ["甲", "乙", "丙", "丁"], answer }));
}
