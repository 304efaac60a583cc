using Evals.Benchmarks.Metrics.Generation;
using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Generation;

/// <summary>ROUGE, BLEU, distinct-n and keyword precision on small cases worked out by hand (the sums are in each comment).</summary>
public class GenerationMetricTests
{
    [Theory]
    [InlineData("教我中文吧", new[] { "教", "我", "中", "文", "吧" })]
    [InlineData("  Hello, world. ", new[] { "Hello", ",", "world", "." })]
    [InlineData("3.5-4", new[] { "3.5", "-", "4" })]
    // sacreBLEU's range table reads '\u20000' as U+2000 + '0': general punctuation (U+2001–U+206F) is split like a Chinese character.
    [InlineData("“你好”—", new[] { "“", "你", "好", "”", "—" })]
    [InlineData("a—b", new[] { "a", "—", "b" })]
    // ...and nothing outside the BMP is.
    [InlineData("好😀x", new[] { "好", "😀x" })]
    [InlineData("", new string[0])]
    public void Zh_tokeniser_splits_as_sacrebleu_does(string line, string[] expected) =>
        Assert.Equal(expected, SacreBleuZhTokenizer.Tokenize(line));

    [Fact]
    public void Rouge_counts_characters_with_clipping_and_the_longest_common_subsequence()
    {
        // abcd / abce: 3 of 4 characters, bigrams ab bc of 3, LCS abc.
        AssertRouge(Rouge.Score("abcd", ["abce"]), 75, 200.0 / 3, 75);
        // Case and white space do not count: the same characters.
        AssertRouge(Rouge.Score("AB c", ["ab  c"]), 100, 100, 100);
        // Repeated n-grams: 的 four times against two in the reference matches twice: P = 2/4, R = 2/3, F = 4/7.
        AssertRouge(Rouge.Score("的的的的", ["的是的"]), 400.0 / 7, 0, 400.0 / 7);
        // Output longer than the reference: R1 P = 4/11, R = 1, F = 8/15; R2 3 of 10 bigrams, R = 1, F = 6/13; LCS 4.
        AssertRouge(Rouge.Score("今天天气很好我们去公园", ["天气很好"]), 800.0 / 15, 600.0 / 13, 800.0 / 15);
    }

    [Fact]
    public void Rouge_takes_each_metric_from_its_best_reference_and_scores_an_empty_output_zero()
    {
        // abcd vs abxy: R1 1/2, R2 1/3 (ab), LCS 2; vs dcba: R1 1, R2 0, LCS 1 → each metric its own best.
        AssertRouge(Rouge.Score("abcd", ["abxy", "dcba"]), 100, 100.0 / 3, 50);
        AssertRouge(Rouge.Score("", ["abc"]), 0, 0, 0);
        AssertRouge(Rouge.Score("   ", ["abc"]), 0, 0, 0);
        AssertRouge(Rouge.Score("a", ["a"]), 100, 0, 100);
    }

    [Fact]
    public void Bleu_statistics_and_score_follow_sacrebleu()
    {
        // 4 of 4 unigrams … 1 of 1 4-gram; hyp 4 against ref 7: BP = exp(1 − 7/4).
        var full = CorpusBleu.Statistics("我爱北京", ["我爱北京天安门"]);
        Assert.Equal(new BleuStatistics(4, 7, 4, 3, 2, 1, 4, 3, 2, 1), full);
        Assert.Equal(100 * Math.Exp(-0.75), CorpusBleu.Score([full]).Score, 10);
        // exp smoothing: orders 3 and 4 have no match: 100/(2·2) and 100/(4·1); (50 · 33.3 · 25 · 25)^(1/4).
        var smoothed = CorpusBleu.Statistics("我爱上海", ["我爱北京"]);
        Assert.Equal(new BleuStatistics(4, 4, 2, 1, 0, 0, 4, 3, 2, 1), smoothed);
        Assert.Equal(Math.Pow(50 * (100.0 / 3) * 25 * 25, 0.25), CorpusBleu.Score([smoothed]).Score, 10);
        Assert.Equal([50, Math.Round(100.0 / 3, 10), 25, 25], CorpusBleu.Score([smoothed]).Precisions.Select(p => Math.Round(p, 10)));
        // The corpus sums, not the mean of the two: 40.8664650201656 (our Python cross-check of sacreBLEU's formula).
        Assert.Equal(40.86646502016564, CorpusBleu.Score([full, smoothed]).Score, 10);
        // An empty output: nothing matched, BP 0, score 0.
        var empty = CorpusBleu.Statistics("", ["我爱北京"]);
        Assert.Equal(new BleuStatistics(0, 4, 0, 0, 0, 0, 0, 0, 0, 0), empty);
        Assert.Equal(0, CorpusBleu.Score([empty]).Score);
    }

    [Fact]
    public void Bleu_with_several_references_clips_by_the_largest_count_and_takes_the_closest_length()
    {
        // 的 ×3 against 的 and 的的是是: 的 may match twice (ref 2), 的的 once; lengths 1 and 4, closest to 3 is 4.
        var stats = CorpusBleu.Statistics("的的的", ["的", "的的是是"]);
        Assert.Equal(new BleuStatistics(3, 4, 2, 1, 0, 0, 3, 2, 1, 0), stats);
        // No 4-gram at all: sacreBLEU stops there and logs 0 as -9999999999, so the corpus scores 0.
        Assert.Equal(0, CorpusBleu.Score([stats]).Score, 12);
        // A tie in distance takes the shorter reference: hyp 3, refs 2 and 4.
        Assert.Equal(2, CorpusBleu.Statistics("甲乙丙", ["甲乙", "甲乙丙丁"]).RefLength);
        Assert.Equal("nrefs:2|case:mixed|eff:no|tok:zh|smooth:exp|version:evals-1", CorpusBleu.Score([stats], "2").Signature);
    }

    [Fact]
    public void Bleu_bootstrap_from_statistics_equals_resampling_the_texts_and_is_reproducible()
    {
        var hypotheses = new[] { "我爱北京", "我爱上海", "今天天气很好", "", "的的的", "他说：“好。”", "机器翻译很难", "Hello, world." };
        var references = new[] { "我爱北京天安门", "我爱北京", "今天天气不错", "有内容", "的的是是", "他说：“好的。”", "机器翻译不容易", "Hello world!" };
        var stats = hypotheses.Select((h, i) => CorpusBleu.Statistics(h, [references[i]])).ToList();
        var interval = CorpusBleu.Interval(stats, rounds: 200, seed: 7);
        // The straightforward way: draw the same items, tokenise their texts again, score.
        var naive = new double[200];
        for (var r = 0; r < 200; r++)
        {
            var rng = SeededRandom.ForStream(7, r);
            var drawn = Enumerable.Range(0, hypotheses.Length).Select(_ => rng.NextInt(hypotheses.Length)).ToList();
            naive[r] = CorpusBleu.Score(drawn.Select(i => CorpusBleu.Statistics(hypotheses[i], [references[i]]))).Score;
        }
        Array.Sort(naive);
        Assert.Equal(Quantile.OfSorted(naive, 0.025), interval.CiLow, 12);
        Assert.Equal(Quantile.OfSorted(naive, 0.975), interval.CiHigh, 12);
        Assert.Equal(CorpusBleu.Score(stats).Score, interval.Mean, 12);
        Assert.True(interval.CiLow < interval.Mean && interval.Mean < interval.CiHigh);
        Assert.Equal(interval, CorpusBleu.Interval(stats, rounds: 200, seed: 7));
        Assert.NotEqual(interval.CiLow, CorpusBleu.Interval(stats, rounds: 200, seed: 8).CiLow);
    }

    [Fact]
    public void Distinct_n_pools_every_output_and_its_bootstrap_unions_the_drawn_items()
    {
        // abab + ab: characters a b a b a b → 2 distinct of 6; bigrams ab ba ab ab → 2 of 4.
        Assert.Equal(100.0 / 3, DistinctN.Compute(["abab", "ab"], 1), 12);
        Assert.Equal(50, DistinctN.Compute(["abab", "ab"], 2), 12);
        Assert.Equal(0, DistinctN.Compute(["ab"], 3));
        Assert.Equal(0, DistinctN.Compute(["", ""], 1));
        Assert.Equal(100, DistinctN.Compute(["今天天气", "很好啊的"], 4), 12);
        Assert.True(DistinctN.TryParse("distinct_2", out var n) && n == 2);
        Assert.False(DistinctN.TryParse("distinct_5", out _));

        string[] outputs = ["今天天气很好", "今天天气不好", "我们去公园吧", "", "好好好好", "公园很好"];
        var interval = DistinctN.Interval(outputs, 2, rounds: 100, seed: 3);
        var naive = new double[100];
        for (var r = 0; r < 100; r++)
        {
            var rng = SeededRandom.ForStream(3, r);
            naive[r] = DistinctN.Compute(Enumerable.Range(0, outputs.Length).Select(_ => outputs[rng.NextInt(outputs.Length)]).ToList(), 2);
        }
        Array.Sort(naive);
        Assert.Equal(Quantile.OfSorted(naive, 0.025), interval.CiLow, 12);
        Assert.Equal(Quantile.OfSorted(naive, 0.975), interval.CiHigh, 12);
        Assert.Equal(DistinctN.Compute(outputs, 2), interval.Mean, 12);
    }

    [Fact]
    public void Keyword_precision_is_the_share_of_keywords_found_in_the_reference()
    {
        Assert.Equal(50, KeywordPrecision.Compute(["北京", "上海"], "我在北京工作"));
        Assert.Equal(0, KeywordPrecision.Compute([], "我在北京工作"));
        Assert.Equal(["今天", "北京下雨了", "2024年"], KeywordPrecision.Keywords("今天，北京下雨了。A 2024年；今天"));
    }

    private static void AssertRouge(RougeScores scores, double r1, double r2, double rl)
    {
        Assert.Equal(r1, scores.Rouge1, 9);
        Assert.Equal(r2, scores.Rouge2, 9);
        Assert.Equal(rl, scores.RougeL, 9);
    }
}
