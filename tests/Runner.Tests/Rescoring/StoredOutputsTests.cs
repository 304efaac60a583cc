using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites;
using Evals.Runner.Rescoring;
using Evals.Storage.Entities;

namespace Evals.Runner.Tests.Rescoring;

/// <summary>What a re-scoring does with each kind of stored result, without a database: what is scored again and what is copied.</summary>
public sealed class StoredOutputsTests
{
    private static readonly Guid Run = Guid.NewGuid(), Task = Guid.NewGuid(), Source = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly ChoiceTask Choices = new("mine", new TaskManifest
    {
        Name = "numbers", Kind = "multiple_choice", Files = new() { ["test"] = "test.jsonl" }, AnswerField = "answer", ChoicesField = "choices",
        Template = "{question}\n{choices}\n答案：",
    }, [new TaskItem("q1", "test", 0, JsonSerializer.SerializeToElement(new { question = "一加一？", choices = new[] { "1", "2", "3", "4" }, answer = "B" }))]);

    private static TaskItem Item => Choices.Items[0];

    private static ItemResult Stored(string outcome, string? raw, string? details, string? parsed = null, string? error = null) => new()
    {
        RunId = Source, TaskId = Task, ItemKey = "q1", Prompt = "p", RawOutput = raw, Parsed = parsed, Reference = "B", Outcome = outcome,
        Score = outcome == "correct" ? 100 : 0, LatencyMs = 12.5, TokensIn = 7, TokensOut = 1, Error = error, Details = details,
    };

    private static JsonObject Details(Evals.Storage.Results.ResultRow row) => JsonNode.Parse(row.Details!)!.AsObject();

    [Fact]
    public void A_generated_answer_is_extracted_again_and_the_call_accounting_is_kept()
    {
        var row = StoredOutputs.Rescore(Run, Task, Choices, Item, 0, Stored("unparseable", "B", """{"mode": "generate", "rule": "no_answer", "cost": 0.5, "cached": true}"""),
            Source, "generate", Now);

        Assert.Equal(("correct", 100.0, "B", "p", "B"), (row.Outcome, row.Score, row.Parsed, row.Prompt, row.RawOutput));
        Assert.Equal((12.5, 7, 1), (row.LatencyMs, row.TokensIn, row.TokensOut));
        var details = Details(row);
        Assert.Equal("scored", details["rescore"]!.GetValue<string>());
        Assert.Equal(0.5, details["cost"]!.GetValue<double>());
        Assert.True(details["cached"]!.GetValue<bool>());
        Assert.NotEqual("no_answer", details["rule"]!.GetValue<string>());
    }

    [Fact]
    public void A_generation_output_is_scored_again_with_its_overlap_metrics_and_bleu_statistics()
    {
        var generation = new Evals.Benchmarks.Suites.Generation.GenerationTask("mine", new TaskManifest
        {
            Name = "titles", Kind = "generation", Files = new() { ["test"] = "test.jsonl" }, AnswerField = "title", Template = "{abstract}\n标题：",
            Metric = "bleu",
        }, [new TaskItem("q1", "test", 0, JsonSerializer.SerializeToElement(new { @abstract = "摘要。", title = "我爱北京天安门" }))]);
        var row = StoredOutputs.Rescore(Run, Task, generation, generation.Items[0], 0, Stored("wrong", "我爱北京\n", """{"mode": "generate"}"""),
            Source, "generate", Now);

        Assert.Equal(("wrong", "我爱北京"), (row.Outcome, row.Parsed));
        var details = Details(row);
        Assert.Equal("scored", details["rescore"]!.GetValue<string>());
        // 我爱北京 against 我爱北京天安门: every n-gram matches, 4 tokens against 7 (BP = e^(1 − 7/4)).
        Assert.Equal([4, 7, 4, 3, 2, 1, 4, 3, 2, 1], Evals.Benchmarks.Metrics.Generation.BleuStatistics.Keys.Select(k => details[k]!.GetValue<double>()));
        Assert.Equal(Math.Round(100 * Math.Exp(-0.75), 6), row.Score);
        Assert.Equal(Math.Round(2 * (4 / 7.0) / (1 + 4 / 7.0) * 100, 6), details["rouge_l"]!.GetValue<double>());
    }

    [Fact]
    public void Log_likelihoods_are_rederived_when_stored_exactly_and_copied_otherwise()
    {
        var rederived = StoredOutputs.Rescore(Run, Task, Choices, Item, 0,
            Stored("wrong", "-3 -1 -2 -4", """{"mode": "loglikelihood", "loglikelihoods": [-3.0, -1.0, -2.0, -4.0]}""", parsed: "A"), Source, "loglikelihood", Now);
        Assert.Equal(("correct", "B"), (rederived.Outcome, rederived.Parsed));
        Assert.Equal(100, Details(rederived)["acc_norm_chars"]!.GetValue<double>());

        var copied = StoredOutputs.Rescore(Run, Task, Choices, Item, 0, Stored("wrong", "-3 -1 -2 -4", """{"mode": "loglikelihood"}""", parsed: "A"),
            Source, "loglikelihood", Now);
        Assert.Equal(("wrong", "A"), (copied.Outcome, copied.Parsed));
        Assert.Equal("copied: no exact log-likelihoods stored", Details(copied)["rescore"]!.GetValue<string>());

        // As many numbers as choices, or it is not this item's scoring.
        var mismatched = StoredOutputs.Rescore(Run, Task, Choices, Item, 0, Stored("wrong", "-1 -2", """{"mode": "loglikelihood", "loglikelihoods": [-1.0, -2.0]}"""),
            Source, "loglikelihood", Now);
        Assert.StartsWith("copied", Details(mismatched)["rescore"]!.GetValue<string>());
    }

    [Fact]
    public void Errors_refusals_and_items_missing_from_the_source_are_copied_or_errors_saying_why()
    {
        var error = StoredOutputs.Rescore(Run, Task, Choices, Item, 0, Stored("error", null, null, error: "HTTP 500"), Source, "generate", Now);
        Assert.Equal(("error", "HTTP 500"), (error.Outcome, error.Error));
        Assert.Equal("copied: the model call failed", Details(error)["rescore"]!.GetValue<string>());

        var refused = StoredOutputs.Rescore(Run, Task, Choices, Item, 0, Stored("refused", null, """{"mode": "generate"}""", error: "data_inspection_failed"), Source, "generate", Now);
        Assert.Equal(("refused", "data_inspection_failed"), (refused.Outcome, refused.Error));
        Assert.Equal("copied: no output stored", Details(refused)["rescore"]!.GetValue<string>());

        var missing = StoredOutputs.Rescore(Run, Task, Choices, Item, 0, null, Source, "generate", Now);
        Assert.Equal("error", missing.Outcome);
        Assert.Equal($"source run {Source} has no result for this item", missing.Error);
    }

    [Fact]
    public void Circular_credit_stands_only_while_the_item_itself_is_still_right()
    {
        var stillRight = StoredOutputs.Rescore(Run, Task, Choices, Item, 0, Stored("correct", "B", """{"mode": "generate", "circular": 100}"""), Source, "generate", Now);
        Assert.Equal(100, Details(stillRight)["circular"]!.GetValue<double>());
        var nowWrong = StoredOutputs.Rescore(Run, Task, Choices, Item, 0, Stored("correct", "C", """{"mode": "generate", "circular": 100}"""), Source, "generate", Now);
        Assert.Equal("wrong", nowWrong.Outcome);
        Assert.Equal(0, Details(nowWrong)["circular"]!.GetValue<double>());
    }
}
