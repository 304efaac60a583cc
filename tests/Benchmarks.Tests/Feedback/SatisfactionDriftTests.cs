using Evals.Benchmarks.Feedback;
using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Feedback;

public class SatisfactionDriftTests
{
    [Fact]
    public void A_drop_from_85_to_70_percent_alerts_with_the_one_sided_p_of_the_pooled_z_test()
    {
        // z = (0.70 − 0.85) / √(0.82 · 0.18 · (1/100 + 1/400)) = −3.49215; Φ(z) = 0.000239573 (Python: 0.5·erfc(−z/√2)).
        var result = SatisfactionDrift.Check(70, 100, 340, 400);
        Assert.True(result.Alert, result.Reason);
        Assert.Equal(0.000239573, result.PValue!.Value, 6);
        Assert.Equal(-15, result.Difference!.Value, 9);
        Assert.True(result.CiHigh < 0);
        Assert.Contains("fell from 85.0% to 70.0%", result.Reason);
    }

    [Fact]
    public void A_drop_of_seven_points_on_100_ratings_is_not_significant_at_0_01()
    {
        var result = SatisfactionDrift.Check(78, 100, 340, 400); // one-sided p = 0.0454: below 0.05, above 0.01
        Assert.False(result.Alert);
        Assert.Equal(0.0454279, result.PValue!.Value, 6);
    }

    [Fact]
    public void An_improvement_never_alerts_and_too_few_ratings_decide_nothing()
    {
        Assert.False(SatisfactionDrift.Check(99, 100, 200, 400).Alert);
        var few = SatisfactionDrift.Check(0, 99, 400, 400);
        Assert.False(few.Alert);
        Assert.Null(few.PValue);
        Assert.Contains("too few ratings", few.Reason);
    }

    [Fact]
    public void Noise_alerts_at_most_about_alpha_of_the_time_and_a_real_drop_almost_always()
    {
        var rng = SeededRandom.ForStream(20261123, 0);
        int falseAlarms = 0, detected = 0;
        const int trials = 4000;
        for (var i = 0; i < trials; i++)
        {
            // Same true rate in both windows: 300 ratings this week, 1,200 in the four weeks before.
            var baseline = BinomialSampler.Sample(ref rng, 1200, 0.8);
            if (SatisfactionDrift.Check(BinomialSampler.Sample(ref rng, 300, 0.8), 300, baseline, 1200).Alert) falseAlarms++;
            if (SatisfactionDrift.Check(BinomialSampler.Sample(ref rng, 300, 0.7), 300, baseline, 1200).Alert) detected++;
        }
        // α = 0.01: 40 expected; the binomial 99.9% upper bound is about 61.
        Assert.InRange(falseAlarms, 10, 61);
        // Power of the one-sided test at α = 0.01 for 70% vs 80% with these counts is about 0.91.
        Assert.True(detected > 0.88 * trials, $"a 10-point drop was detected in {detected} of {trials} trials");
    }
}
