using Evals.Benchmarks.Metrics;

namespace Evals.Benchmarks.Tests;

/// <summary>Metrics pinned to numbers worked out by hand from the reference definitions (see each metric's doc comment).</summary>
public class MetricTests
{
    [Theory]
    // exact copy, with a Latin word joined by a hyphen (the scorer drops '-' without splitting the word)
    [InlineData("光荣和ω-force", new[] { "光荣和ω-force" }, 1, 1.0)]
    [InlineData("ω-force", new[] { "ωforce" }, 1, 1.0)]
    // Chinese punctuation from the official list is deleted for EM and F1
    [InlineData("《战国无双3》", new[] { "战国无双3" }, 1, 1.0)]
    [InlineData("1.5亿。", new[] { "1.5亿" }, 1, 1.0)]
    // ASCII '.' is not in the list: EM fails; F1 sees tokens [1.5, 亿, .] against [1.5, 亿]: P 2/3, R 1
    [InlineData("1.5亿.", new[] { "1.5亿" }, 0, 0.8)]
    // '…' is not removed either (the list holds '……' as one entry): [等, 等, …] against [等, 等]
    [InlineData("等等…", new[] { "等等" }, 0, 0.8)]
    // spaces count for EM but not for F1's tokens
    [InlineData("光荣 和", new[] { "光荣和" }, 0, 1.0)]
    // case is folded
    [InlineData("ABC公司", new[] { "abc公司" }, 1, 1.0)]
    // mixed: [iphone, 6, plus, 手, 机] against [iphone, 6, 手, 机]; longest common substring 2: P 2/5, R 2/4
    [InlineData("iPhone 6 plus手机", new[] { "iphone 6手机" }, 0, 0.4 / 0.9)]
    // several references: the best F1 counts (大学: 0.5; 北京: P 2/4, R 1 → 2/3)
    [InlineData("北京大学", new[] { "清华大学", "北京" }, 0, 2.0 / 3)]
    // a common substring, not a common bag: [甲, 乙, 丙] against [丙, 乙, 甲] share only single tokens
    [InlineData("甲乙丙", new[] { "丙乙甲" }, 0, 1.0 / 3)]
    [InlineData("", new[] { "北京" }, 0, 0.0)]
    [InlineData("上海", new[] { "北京" }, 0, 0.0)]
    public void Cmrc2018_em_and_f1_follow_the_official_definition(string prediction, string[] references, double em, double f1)
    {
        Assert.Equal(em, Cmrc2018Scorer.ExactMatch(prediction, references));
        Assert.Equal(f1, Cmrc2018Scorer.F1(prediction, references), 12);
    }

    [Fact]
    public void Cmrc2018_mixed_segmentation_splits_chinese_characters_and_keeps_latin_words()
    {
        Assert.Equal(["战", "国", "无", "双", "3", "是", "由", "光", "荣", "和", "ωforce", "开", "发"],
            Cmrc2018Scorer.MixedSegmentation("《战国无双3》是由光荣和ω-force开发"));
        Assert.Equal(["hello", ",", "world", "."], NltkWordTokenizer.WordTokenize("hello, world."));
        Assert.Equal(["1,000", "people", "do", "n't", "agree", "?"], NltkWordTokenizer.WordTokenize("1,000 people don't agree?"));
        Assert.Equal(["3.14"], NltkWordTokenizer.WordTokenize("3.14"));
    }

    [Fact]
    public void Cmrc2018_evaluate_divides_by_every_question_and_counts_missing_ones_as_zero()
    {
        var (em, f1, total, skipped) = Cmrc2018Scorer.Evaluate([
            (["光荣"], "光荣"),
            (["北京"], "北京市"),   // EM 0, F1: P 2/3, R 1 → 0.8
            (["上海"], null),
        ]);
        Assert.Equal(100.0 / 3, em, 12);
        Assert.Equal(60.0, f1, 12);
        Assert.Equal((3, 1), (total, skipped));
    }

    [Fact]
    public void Macro_f1_averages_per_class_f1_over_the_classes_seen()
    {
        // class 0: TP 1, 2 predicted, 2 gold → 0.5; class 1: TP 2, 3 predicted, 2 gold → 0.8; class 2: TP 0 → 0
        Assert.Equal(130.0 / 3, MacroF1.Compute([0, 0, 1, 1, 2], [0, 1, 1, 1, 0]), 12);
        Assert.Equal(100.0, MacroF1.Compute([3, 1, 3], [3, 1, 3]));
        // a class only predicted, never gold, still counts (with F1 0), as in scikit-learn: class 0 is 2·1/(1+2) = 2/3
        Assert.Equal(100.0 / 3, MacroF1.Compute([0, 0], [0, 1]), 12);
    }

    [Fact]
    public void Acc_norm_chars_divides_by_characters_not_bytes()
    {
        // "ab" is 2 characters and 2 bytes; "中文" is 2 characters but 6 UTF-8 bytes. Per character: -1.5 vs -2 → "ab".
        // Per byte it would be -1.5 vs -0.67 and pick "中文".
        Assert.Equal(0, AccNormChars.Pick([-3, -4], ["ab", "中文"]));
        // raw log-likelihood prefers the short choice; per character the long one wins (-2 vs -1.5)
        Assert.Equal(1, AccNormChars.Pick([-2, -4.5], ["是", "不是的"]));
        Assert.Equal(2, AccNormChars.Characters("𠀋字"));
        Assert.Equal(50.0, AccNormChars.Compute([([-2, -4.5], ["是", "不是的"], 1), ([-1, -9], ["甲", "乙"], 1)]));
    }

    [Fact]
    public void Every_metric_declares_its_aggregation_and_direction()
    {
        Assert.Equal(["accuracy", "acc_norm_chars", "em", "f1", "macro_f1", "non_hallucination_rate", "rouge_1", "rouge_2", "rouge_l", "bleu",
            "distinct_1", "distinct_2", "distinct_3", "distinct_4", "keyword_precision", "pairwise_win_rate", "judge_score"], MetricCatalog.All.Select(m => m.Name));
        Assert.All(MetricCatalog.All, m => Assert.True(m.HigherIsBetter));
        Assert.Equal(Aggregation.Corpus, MetricCatalog.Get("macro_f1").Aggregation);
        Assert.Equal(Aggregation.Corpus, MetricCatalog.Get("bleu").Aggregation);
        Assert.Throws<KeyNotFoundException>(() => MetricCatalog.Get("bleu_5"));
    }
}
