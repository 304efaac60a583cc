using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class RankCorrelationTests
{
    [Fact]
    public void Spearman_matches_scipys_documented_example()
    {
        // SciPy's spearmanr docstring: spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) → statistic 0.8207826816681233.
        // By hand: ranks of y are 1, 2, 3.5, 5, 3.5; deviations from 3 give Σxy = 8, Σx² = 10, Σy² = 9.5; ρ = 8/√95.
        var rho = RankCorrelation.Spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]);
        Assert.Equal(0.8207826816681233, rho, 14);
        Assert.Equal(8 / Math.Sqrt(95), rho, 14);
    }

    [Fact]
    public void Kendall_tau_b_matches_scipys_documented_example()
    {
        // SciPy's kendalltau docstring: x = [12, 2, 1, 12, 2], y = [1, 4, 7, 1, 0] → statistic −0.47140452079103173.
        // By hand over the 10 pairs: concordant 2, discordant 6, tied in x only 1 ((2, 2)), tied in both 1 ((12, 12));
        // τ_b = (2 − 6) / √((2 + 6 + 1)(2 + 6 + 0)) = −4/√72.
        var tau = RankCorrelation.KendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]);
        Assert.Equal(-0.47140452079103173, tau, 14);
        Assert.Equal(-4 / Math.Sqrt(72), tau, 14);
    }

    [Fact]
    public void Grades_with_ties_on_both_sides_computed_by_hand()
    {
        // People 8, 8, 5, 3, 9, 5; judge 7, 9, 5, 5, 9, 4.
        double[] people = [8, 8, 5, 3, 9, 5];
        double[] judge = [7, 9, 5, 5, 9, 4];
        // Ranks: people 4.5, 4.5, 2.5, 1, 6, 2.5; judge 4, 5.5, 2.5, 2.5, 5.5, 1 (both mean 3.5).
        Assert.Equal([4.5, 4.5, 2.5, 1, 6, 2.5], RankCorrelation.AverageRanks(people));
        Assert.Equal([4, 5.5, 2.5, 2.5, 5.5, 1], RankCorrelation.AverageRanks(judge));
        // Deviations: people 1, 1, −1, −2.5, 2.5, −1; judge 0.5, 2, −1, −1, 2, −2.5.
        // Σxy = 0.5 + 2 + 1 + 2.5 + 5 + 2.5 = 13.5; Σx² = 1 + 1 + 1 + 6.25 + 6.25 + 1 = 16.5; Σy² = 0.25 + 4 + 1 + 1 + 4 + 6.25 = 16.5; ρ = 9/11.
        Assert.Equal(13.5 / 16.5, RankCorrelation.Spearman(people, judge), 14);
        // The 15 pairs: tied in people only (0,1) (2,5); tied in the judge only (1,4) (2,3); discordant (3,5) (people 3 < 5,
        // judge 5 > 4); the other 10 concordant. τ_b = (10 − 1) / √((10 + 1 + 2)(10 + 1 + 2)) = 9/13.
        Assert.Equal(9.0 / 13, RankCorrelation.KendallTauB(people, judge), 14);
    }

    [Fact]
    public void Undefined_when_a_rater_gives_one_grade_throughout_or_there_are_too_few_items()
    {
        Assert.True(double.IsNaN(RankCorrelation.Spearman([7, 7, 7], [1, 2, 3])));
        Assert.True(double.IsNaN(RankCorrelation.KendallTauB([7, 7, 7], [1, 2, 3])));
        Assert.True(double.IsNaN(RankCorrelation.Spearman([7], [1])));
        Assert.True(double.IsNaN(RankCorrelation.KendallTauB([], [])));
        Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman([1, 2], [1]));
    }

    [Fact]
    public void Perfect_and_reversed_orders()
    {
        Assert.Equal(1, RankCorrelation.Spearman([1, 2, 2, 9], [3, 5, 5, 6]), 14);
        Assert.Equal(1, RankCorrelation.KendallTauB([1, 2, 2, 9], [3, 5, 5, 6]), 14);
        Assert.Equal(-1, RankCorrelation.Spearman([1, 2, 3], [9, 4, 1]), 14);
        Assert.Equal(-1, RankCorrelation.KendallTauB([1, 2, 3], [9, 4, 1]), 14);
    }
}
