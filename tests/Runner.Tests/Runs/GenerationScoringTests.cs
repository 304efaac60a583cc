using Evals.Benchmarks.Metrics.Generation;
using Evals.Benchmarks.Statistics;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Generation;
using Evals.Runner.Runs;

namespace Evals.Runner.Tests.Runs;

/// <summary>
/// A generation task's summary from stored results: corpus metrics from the summed per-item statistics (not a mean of
/// per-item values), a miss (empty output, refusal) counted as an empty output, error items left out.
/// </summary>
public sealed class GenerationScoringTests
{
    private static readonly (string Output, string[] References)[] Cases =
    [
        ("我爱北京", ["我爱北京天安门"]),
        ("我爱上海", ["我爱北京"]),
        ("今天天气很好", ["今天天气不错", "今天天气很好"]),
        ("", ["有内容的参考"]),
        ("机器翻译很难", ["机器翻译不容易"]),
    ];

    private static List<ScoredItem> Stored(string metric) => Cases.Select(c =>
    {
        // What the run stores and reads back: the verdict's numbers as the result's details, references as text.
        var verdict = GenerationTask.Score(c.Output, c.References, metric);
        return new ScoredItem(verdict.Outcome, verdict.Score, verdict.Parsed, GenerationTask.ReferenceText(c.References),
            ItemDetails.Numbers(ItemDetails.ToJson(ItemDetails.From(verdict, 0))), null);
    }).ToList();

    [Fact]
    public void Corpus_bleu_is_computed_from_summed_statistics_with_its_bootstrap_and_signature()
    {
        var summary = TaskScoring.Summarise("bleu", "v1", Stored("bleu"));
        var stats = Cases.Select(c => CorpusBleu.Statistics(c.Output, c.References)).ToList();
        var expected = CorpusBleu.Interval(stats, 1000, seed: 0);
        Assert.Equal("bleu", summary.Metric);
        Assert.Equal(Math.Round(expected.Mean, 4), summary.Score);
        Assert.Equal((Math.Round(expected.CiLow, 4), Math.Round(expected.CiHigh, 4)), (summary.CiLow, summary.CiHigh));
        // The mean of per-item sentence BLEU would be another number: the corpus figure is not an average.
        Assert.NotEqual(Math.Round(Cases.Average(c => CorpusBleu.Score([CorpusBleu.Statistics(c.Output, c.References)]).Score), 4), summary.Score);
        Assert.Equal(5, summary.N);
        Assert.Equal("nrefs:var|case:mixed|eff:no|tok:zh|smooth:exp|version:evals-1", summary.Signature);
        Assert.Equal(1, summary.Outcomes["unparseable"]);
        Assert.Equal(1, summary.Outcomes["correct"]);
        Assert.Contains("rouge_l", summary.Metrics!.Keys);
        Assert.Contains("distinct_2", summary.Metrics.Keys);
        Assert.DoesNotContain("bleu", summary.Metrics.Keys);
        Assert.Equal(0, summary.Chance);
        Assert.Equal(summary.Score, summary.Normalised);
    }

    [Fact]
    public void Rouge_l_is_the_mean_over_every_asked_item_with_corpus_figures_beside_it()
    {
        var summary = TaskScoring.Summarise("rouge_l", "v1", Stored("rouge_l"));
        var perItem = Cases.Select(c => Rouge.Score(c.Output.Trim(), c.References).RougeL).ToArray();
        Assert.Equal("rouge_l", summary.Metric);
        Assert.Equal(Math.Round(perItem.Average(), 4), summary.Score, 3);
        Assert.Equal(0, perItem[3]);
        Assert.Equal(summary.Score, Math.Round(BootstrapMeanInterval.Compute(perItem.Select(v => Math.Round(v, 6)).ToArray(), 1000, 0).Mean, 4));
        Assert.Equal(Math.Round(CorpusBleu.Score(Cases.Select(c => CorpusBleu.Statistics(c.Output, c.References))).Score, 4), summary.Metrics!["bleu"].Score);
        Assert.Equal(Math.Round(DistinctN.Compute(Cases.Select(c => c.Output), 1), 4), summary.Metrics["distinct_1"].Score);
        // Accuracy is exact match (item 3 equals its second reference); answered accuracy leaves the empty output out.
        Assert.Equal(20, summary.Metrics["accuracy"].Score);
        Assert.Equal(25, summary.Metrics["answered_accuracy"].Score);
        Assert.NotNull(summary.Signature);
    }

    [Fact]
    public void A_refused_item_counts_as_an_empty_output_and_an_error_item_stays_out()
    {
        var items = Stored("bleu");
        var refused = new ScoredItem(Outcome.Refused, 0, null, "我爱北京", new Dictionary<string, double>(), null);
        var error = new ScoredItem(Outcome.Error, 0, null, "我爱北京", new Dictionary<string, double>(), null);
        var summary = TaskScoring.Summarise("bleu", "v1", [.. items, refused, error]);
        var stats = Cases.Select(c => CorpusBleu.Statistics(c.Output, c.References)).Append(CorpusBleu.Statistics("", ["我爱北京"]));
        Assert.Equal(6, summary.N);
        Assert.Equal(Math.Round(CorpusBleu.Score(stats).Score, 4), summary.Score);
        Assert.True(summary.Score < TaskScoring.Summarise("bleu", "v1", items).Score);

        var distinct = TaskScoring.Summarise("distinct_2", "v1", [.. items, refused, error]);
        Assert.Equal(Math.Round(DistinctN.Compute(Cases.Select(c => c.Output).Append(""), 2), 4), distinct.Score);
        Assert.Equal("distinct_2", distinct.Metric);
    }
}
