using Evals.Benchmarks.Suites;
using Evals.Runner.Runs;

namespace Evals.Runner.Tests.Runs;

/// <summary>The capability roll-up under chance and under CUGE's reference normalisation, figures worked by hand.</summary>
public sealed class CapabilityScoresTests
{
    private static readonly CapabilityTree Tree = new([
        new Capability("理解", "understanding", ["s/choice4", "s/span"]),
        new Capability("问答", "qa", ["s/span", "s/binary"]),
        new Capability("其他", "other", ["s/unreferenced", "s/reversioned"]),
    ]);

    [Fact]
    public void Chance_normalisation_averages_each_tasks_distance_from_guessing()
    {
        // choice4: 62.5 with chance 25 → (62.5 − 25) / 75 = 50; binary: 80 with chance 50 → 60; span (EM, chance 0) → 40.
        var result = CapabilityScores.Compute(Tree, [Task("s/choice4", "accuracy", 62.5, 25), Task("s/binary", "accuracy", 80, 50), Task("s/span", "em", 40, 0)]);

        Assert.Equal("chance", result.Normalisation);
        Assert.Equal(45, result.Capabilities["理解"], 9);   // (50 + 40) / 2
        Assert.Equal(50, result.Capabilities["问答"], 9);   // (40 + 60) / 2
        Assert.Equal(47.5, result.Overall!.Value, 9);
        Assert.Equal(Math.Round((62.5 + 80 + 40) / 3, 4), result.TasksMean, 9);
        Assert.Null(result.Relative);
        Assert.Null(result.LeftOut);
    }

    [Fact]
    public void Reference_normalisation_scores_every_task_as_a_percentage_of_the_reference_on_the_same_version()
    {
        var reference = new ReferenceScores(Guid.NewGuid(), "mt5-small", new Dictionary<string, (double, string)>
        {
            ["s/choice4"] = (50, "v1"),     // 62.5 / 50 = 125
            ["s/binary"] = (64, "v1"),      // 80 / 64 = 125
            ["s/span"] = (80, "v1"),        // 40 / 80 = 50
            ["s/reversioned"] = (30, "v0"), // another version: left out
        });
        var result = CapabilityScores.Compute(Tree,
            [Task("s/choice4", "accuracy", 62.5, 25), Task("s/binary", "accuracy", 80, 50), Task("s/span", "em", 40, 0),
             Task("s/unreferenced", "accuracy", 90, 25), Task("s/reversioned", "accuracy", 30, 25)], reference);

        Assert.Equal("reference", result.Normalisation);
        Assert.Equal(new Dictionary<string, double> { ["s/binary"] = 125, ["s/choice4"] = 125, ["s/span"] = 50 }, result.Relative);
        Assert.Equal(87.5, result.Capabilities["理解"], 9);  // (125 + 50) / 2
        Assert.Equal(87.5, result.Capabilities["问答"], 9);  // (50 + 125) / 2
        Assert.False(result.Capabilities.ContainsKey("其他"));
        Assert.Equal(87.5, result.Overall!.Value, 9);
        Assert.Equal(["s/reversioned", "s/unreferenced"], result.LeftOut!.Keys.Order());
        Assert.Contains("version v0", result.LeftOut["s/reversioned"]);
    }

    [Fact]
    public void A_reference_that_scored_zero_gives_no_ratio()
    {
        var reference = new ReferenceScores(Guid.NewGuid(), "ref", new Dictionary<string, (double, string)> { ["s/binary"] = (0, "v1"), ["s/span"] = (20, "v1") });
        var result = CapabilityScores.Compute(Tree, [Task("s/binary", "accuracy", 80, 50), Task("s/span", "em", 40, 0)], reference);

        Assert.Equal(200, result.Capabilities["问答"], 9);
        Assert.Contains("scored 0", result.LeftOut!["s/binary"]);
    }

    [Fact]
    public void Overlap_metrics_are_never_averaged_raw_with_accuracies_and_alone_give_no_overall()
    {
        // s/bleu sits in a capability with an accuracy task; raw BLEU must not enter it.
        var tree = new CapabilityTree([new Capability("生成", "generation", ["s/bleu", "s/choice4"])]);
        var mixed = CapabilityScores.Compute(tree, [Task("s/bleu", "bleu", 30, 0), Task("s/choice4", "accuracy", 62.5, 25)]);
        Assert.Equal(50, mixed.Capabilities["生成"], 9);
        Assert.Contains("overlap metric", mixed.LeftOut!["s/bleu"]);

        // No capability at all: overall falls back to raw task scores, but not to a raw BLEU.
        var none = CapabilityTree.Empty;
        Assert.Equal(62.5, CapabilityScores.Compute(none, [Task("s/bleu", "bleu", 30, 0), Task("s/choice4", "accuracy", 62.5, 25)]).Overall);
        var onlyOverlap = CapabilityScores.Compute(none, [Task("s/bleu", "bleu", 30, 0), Task("s/rouge", "rouge_l", 40, 0)]);
        Assert.Null(onlyOverlap.Overall);
        Assert.Equal(35, onlyOverlap.TasksMean, 9);

        // Relative to a reference, both count.
        var reference = new ReferenceScores(Guid.NewGuid(), "ref", new Dictionary<string, (double, string)> { ["s/bleu"] = (20, "v1"), ["s/choice4"] = (50, "v1") });
        Assert.Equal((150 + 125) / 2.0, CapabilityScores.Compute(tree, [Task("s/bleu", "bleu", 30, 0), Task("s/choice4", "accuracy", 62.5, 25)], reference).Capabilities["生成"], 9);
    }

    private static (string, TaskManifest, TaskSummary) Task(string name, string metric, double score, double chance) =>
        (name, new TaskManifest { Name = name[(name.IndexOf('/') + 1)..], Kind = "multiple_choice", Files = [], AnswerField = "a", Template = "{q}", Metric = metric },
         new TaskSummary(metric, score, 100, score - 5, score + 5, new Dictionary<string, int>(), "v1")
         {
             Chance = chance,
             Normalised = TaskScoring.Normalise(score, chance),
         });
}
