using Evals.Benchmarks.Experiments;
using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Experiments;

public class OnlineAnalysisTests
{
    [Fact]
    public void Confidence_sequences_cover_the_true_rate_at_every_look_at_once()
    {
        // 300 experiments of 2,000 ratings at rate 0.3, looked at after every rating: the share of experiments whose
        // sequence ever misses 0.3 must stay below α (a Wilson interval looked at this often misses far more often).
        const double alpha = 0.05, rate = 0.3;
        int sequenceMisses = 0, wilsonMisses = 0;
        for (var e = 0; e < 300; e++)
        {
            var rng = new SeededRandom((ulong)e + 1);
            int positive = 0;
            bool sequenceMissed = false, wilsonMissed = false;
            for (var n = 1; n <= 2000; n++)
            {
                if (rng.NextDouble() < rate) positive++;
                var cs = OnlineAnalysis.SequenceEstimate(new VariantRatings("A", positive, n), alpha);
                sequenceMissed |= cs.CiLow > 100 * rate || cs.CiHigh < 100 * rate;
                var (low, high) = WilsonInterval.Compute(positive, n);
                wilsonMissed |= low > 100 * rate || high < 100 * rate;
            }
            if (sequenceMissed) sequenceMisses++;
            if (wilsonMissed) wilsonMisses++;
        }
        Assert.True(sequenceMisses <= 300 * alpha, $"{sequenceMisses} of 300 sequences missed");
        Assert.True(wilsonMisses > 300 * alpha, $"peeking at Wilson intervals missed only {wilsonMisses} times");
    }

    [Fact]
    public void A_fixed_horizon_decides_nothing_before_the_horizon()
    {
        var early = OnlineAnalysis.Analyse(StoppingRules.FixedHorizon, 1000, 0.05, [new("A", 100, 500), new("B", 300, 500)]);
        Assert.False(early.Ready);
        Assert.All(early.Differences, d => Assert.False(d.Conclusive));
        Assert.StartsWith("not yet", early.Verdict);
        var late = OnlineAnalysis.Analyse(StoppingRules.FixedHorizon, 1000, 0.05, [new("A", 200, 1000), new("B", 600, 1000)]);
        Assert.True(late.Ready);
        Assert.True(late.Differences[0].Conclusive);
        Assert.Contains("B beats A by 40 points", late.Verdict);
        Assert.Contains("fixed horizon", late.RuleDescription);
    }
}
