using Evals.Benchmarks.Hallucination;

namespace Evals.Benchmarks.Tests.Hallucination;

public class NgramConsistencyTests
{
    [Fact]
    public void Identical_answers_support_fully_and_punctuation_is_ignored()
    {
        Assert.Equal(1.0, NgramConsistency.Support("北京是中国的首都", "北京是中国的首都"), 12);
        Assert.Equal(1.0, NgramConsistency.Support("北京，是中国的首都。", "北京 是中国的首都"), 12);
        Assert.Equal(1.0, NgramConsistency.Support("ＡＢＣ", "abc"), 12); // NFKC + lower case
    }

    [Fact]
    public void Bigram_overlap_computed_by_hand()
    {
        // 北京大学 → 北京, 京大, 大学; 清华大学 → 清华, 华大, 大学: one of three shared.
        Assert.Equal(1.0 / 3, NgramConsistency.Support("北京大学", "清华大学"), 12);
        // Counts are clipped: 哈哈哈 has 哈哈 twice, the sample once → 1/2.
        Assert.Equal(0.5, NgramConsistency.Support("哈哈哈", "哈哈"), 12);
        // Trigrams: 曹雪芹写的 → 曹雪芹, 雪芹写, 芹写的; 作者是曹雪芹 shares only 曹雪芹 → 1/3.
        Assert.Equal(1.0 / 3, NgramConsistency.Support("曹雪芹写的", "作者是曹雪芹", 3), 12);
    }

    [Fact]
    public void Short_and_empty_answers()
    {
        Assert.Equal(1.0, NgramConsistency.Support("是", "是的"), 12); // shorter than n: compared as one unigram
        Assert.Equal(0.0, NgramConsistency.Support("否", "是的"), 12);
        Assert.Equal(0.0, NgramConsistency.Support("。。", "是的"), 12);
        Assert.Equal(0.0, NgramConsistency.Support("北京", ""), 12);
    }

    [Fact]
    public void Consistency_is_the_mean_support_and_likelihood_its_complement()
    {
        string[] samples = ["北京大学", "清华大学", "复旦"];
        // Supports 1, 1/3, 0 → mean 4/9.
        Assert.Equal(4.0 / 9, NgramConsistency.Consistency("北京大学", samples), 12);
        Assert.Equal(5.0 / 9, NgramConsistency.HallucinationLikelihood("北京大学", samples), 12);
        Assert.True(double.IsNaN(NgramConsistency.Consistency("北京大学", [])));
    }
}
