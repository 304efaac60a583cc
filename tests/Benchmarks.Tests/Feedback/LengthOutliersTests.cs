using Evals.Benchmarks.Feedback;

namespace Evals.Benchmarks.Tests.Feedback;

public class LengthOutliersTests
{
    [Fact]
    public void The_profile_is_the_median_and_MAD_of_log_lengths()
    {
        // ln(1 + L) for L = e^k − 1 is k (up to rounding L to an integer): the logs are 1..21, median 11, absolute
        // deviations 0..10 (twice each, 0 once), MAD 5, scale 5 / 0.6745 = 7.41.
        var lengths = Enumerable.Range(1, 21).Select(k => (int)Math.Round(Math.Exp(k) - 1)).ToList();
        var profile = LengthOutliers.Profile(lengths)!;
        Assert.Equal(11, profile.MedianLog, 5);
        Assert.Equal(5 / 0.6745, profile.Scale, 2);
        // 0.6745 · (14 − 11) / 5 = 0.4047 for L = e^14 − 1; 0.6745 · (1 − 11) / 5 = −1.349 for L = e − 1 ≈ 2 (ln 3 = 1.0986).
        Assert.Equal(0.4047, LengthOutliers.RobustZ(profile, (int)Math.Round(Math.Exp(14) - 1)), 2);
        Assert.Equal(0.6745 * (Math.Log(3) - 11) / 5, LengthOutliers.RobustZ(profile, 2), 2);
    }

    [Fact]
    public void A_few_huge_answers_do_not_move_the_profile_and_are_themselves_flagged()
    {
        var rng = new Random(5);
        var typical = Enumerable.Range(0, 200).Select(_ => 80 + rng.Next(-30, 31)).ToList();
        var profile = LengthOutliers.Profile(typical)!;
        var withHuge = LengthOutliers.Profile([.. typical, 20_000, 25_000, 30_000])!;
        Assert.InRange(withHuge.MedianCharacters - profile.MedianCharacters, 0, 1.5); // three more values move the median by 1.5 ranks at most
        Assert.True(LengthOutliers.IsOutlier(withHuge, 20_000));
        Assert.True(LengthOutliers.IsOutlier(withHuge, 2));
        Assert.False(LengthOutliers.IsOutlier(withHuge, 110));
        Assert.False(LengthOutliers.IsOutlier(withHuge, 55));
    }

    [Fact]
    public void Identical_lengths_fall_back_to_the_mean_deviation_and_too_few_give_no_profile()
    {
        List<int> same = [.. Enumerable.Repeat(50, 30), 60, 40];
        var profile = LengthOutliers.Profile(same)!;
        Assert.True(profile.Scale > 0);
        Assert.False(LengthOutliers.IsOutlier(profile, 50));
        Assert.True(LengthOutliers.IsOutlier(profile, 500));
        Assert.Null(LengthOutliers.Profile(Enumerable.Repeat(50, LengthOutliers.MinProfile - 1).ToList()));
    }
}
