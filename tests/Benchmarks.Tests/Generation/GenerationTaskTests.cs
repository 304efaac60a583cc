using System.Text.Json;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Generation;

namespace Evals.Benchmarks.Tests.Generation;

public class GenerationTaskTests
{
    private static TaskManifest Manifest(string metric = "rouge_l") => new()
    {
        Name = "t", Kind = "generation", Files = new() { ["test"] = "test.jsonl" }, AnswerField = "reference",
        Template = "摘要：{text}\n标题：", Metric = metric, Instruction = "为下面的摘要写一个标题。", FewshotSplit = "dev",
    };

    private static TaskItem Item(string id, string json, string split = "test") => new(id, split, 0, JsonDocument.Parse(json).RootElement.Clone());

    [Fact]
    public void Generates_with_one_or_several_references_and_never_scores_choices()
    {
        var single = Item("a", """{"text":"本文研究中文标题生成。","reference":"中文标题生成研究"}""");
        var several = Item("b", """{"text":"机器翻译。","reference":["机器翻译研究","关于机器翻译"]}""");
        var shot = Item("s", """{"text":"示例摘要。","reference":"示例标题"}""", "dev");
        var task = TaskKinds.Create("synth", Manifest(), [single, several, shot]);
        Assert.IsType<GenerationTask>(task);
        Assert.False(task.ScoresChoices);
        Assert.Null(task.Validate(single));
        Assert.Null(task.Validate(several));
        var prepared = task.Prepare(several, 1);
        Assert.Equal("为下面的摘要写一个标题。\n\n摘要：示例摘要。\n标题：示例标题\n\n摘要：机器翻译。\n标题：", prepared.Prompt);
        Assert.Equal("""["机器翻译研究","关于机器翻译"]""", prepared.Reference);
        Assert.Equal(["机器翻译研究", "关于机器翻译"], GenerationTask.ParseReferenceText(prepared.Reference));
        Assert.Equal(["中文标题生成研究"], GenerationTask.ParseReferenceText(task.Prepare(single, 0).Reference));
        Assert.Equal(0, task.ChanceScore(prepared));

        var exact = task.ScoreGeneration(prepared, "  关于 机器翻译\n");
        Assert.Equal(Outcome.Correct, exact.Outcome);
        Assert.Equal(100, exact.Score);
        var partial = task.ScoreGeneration(prepared, "机器翻译");
        Assert.Equal(Outcome.Wrong, partial.Outcome);
        // 机器翻译 against 机器翻译研究: P = 1, R = 4/6, F = 0.8.
        Assert.Equal(80, partial.Score, 6);
        Assert.Equal(80, partial.Metrics!["rouge_1"], 6);
        Assert.Equal(4, partial.Metrics["bleu_hyp_len"]);
        Assert.Equal(6, partial.Metrics["bleu_ref_len"]);
        Assert.Equal(4, partial.Metrics["bleu_correct_1"]);
        var empty = task.ScoreGeneration(prepared, "   ");
        Assert.Equal(Outcome.Unparseable, empty.Outcome);
        Assert.Equal(0, empty.Score);
        Assert.All(new[] { "rouge_1", "rouge_2", "rouge_l", "keyword_precision", "bleu_correct_1" }, k => Assert.Equal(0, empty.Metrics![k]));
    }

    [Theory]
    [InlineData("""{"text":"x"}""", "field 'reference'")]
    [InlineData("""{"text":"x","reference":""}""", "field 'reference'")]
    [InlineData("""{"text":"x","reference":[]}""", "field 'reference'")]
    [InlineData("""{"text":"x","reference":["好",3]}""", "field 'reference'")]
    [InlineData("""{"text":"x","reference":7}""", "field 'reference'")]
    [InlineData("""{"reference":"好"}""", "field 'text'")]
    public void Refuses_items_without_usable_references(string json, string problem)
    {
        var task = TaskKinds.Create("synth", Manifest(), []);
        Assert.StartsWith(problem, task.Validate(Item("x", json)));
    }

    [Theory]
    [InlineData("bleu")]
    [InlineData("distinct_4")]
    [InlineData("keyword_precision")]
    public void Accepts_every_generation_metric(string metric) =>
        Assert.Equal(metric, TaskKinds.Create("synth", Manifest(metric), []).Manifest.Metric);

    [Theory]
    [InlineData("accuracy")]
    [InlineData("distinct_5")]
    [InlineData("bleu4")]
    public void Refuses_a_metric_that_is_not_a_generation_metric(string metric)
    {
        var error = Assert.Throws<TaskDataException>(() => TaskKinds.Create("synth", Manifest(metric), []));
        Assert.Contains($"metric '{metric}'", error.Message);
        Assert.Contains("rouge_l", error.Message);
    }
}
