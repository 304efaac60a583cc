using Evals.Benchmarks.Ratings;

namespace Evals.Benchmarks.Tests.Ratings;

public class PairSelectorTests
{
    private static double Chance(PairChance[] chances, int a, int b) =>
        chances.Single(c => (c.A, c.B) == (Math.Min(a, b), Math.Max(a, b))).Probability;

    [Fact]
    public void Close_pairs_and_new_models_are_favoured_but_every_pair_keeps_a_chance()
    {
        double[] ratings = [1200, 1190, 1000, 1000];
        int[] votes = [500, 500, 500, 0];
        var chances = PairSelector.Chances(ratings, votes);
        Assert.Equal(6, chances.Length);
        Assert.Equal(1, chances.Sum(c => c.Probability), 12);
        Assert.True(Chance(chances, 0, 1) > Chance(chances, 0, 2)); // 10 points apart vs 200
        Assert.True(Chance(chances, 2, 3) > Chance(chances, 0, 1)); // the unvoted model 3
        Assert.True(Chance(chances, 2, 3) > Chance(chances, 1, 2)); // equal ratings and a new model: the favourite
        foreach (var chance in chances) Assert.True(chance.Probability >= 0.1 / 6);
    }

    [Fact]
    public void Intervals_settle_the_order_of_well_separated_models()
    {
        double[] ratings = [1100, 1050, 1000];
        int[] votes = [1000, 1000, 1000];
        var narrow = PairSelector.Chances(ratings, votes, [5, 5, 5]);
        var wide = PairSelector.Chances(ratings, votes, [60, 60, 60]);
        // Narrow intervals settle the 100-point gap, so 0 vs 2 gets little beyond the uniform floor; wide ones leave it open.
        Assert.True(Chance(wide, 0, 2) > Chance(narrow, 0, 2));
        Assert.Equal(1, narrow.Sum(c => c.Probability), 12);
    }

    [Fact]
    public void Choose_walks_the_cumulative_probabilities()
    {
        PairChance[] chances = [new(0, 1, 0.5), new(0, 2, 0.25), new(1, 2, 0.25)];
        Assert.Equal((0, 1), (PairSelector.Choose(chances, 0.0).A, PairSelector.Choose(chances, 0.0).B));
        Assert.Equal(2, PairSelector.Choose(chances, 0.6).B);
        Assert.Equal((1, 2), (PairSelector.Choose(chances, 0.9999).A, PairSelector.Choose(chances, 0.9999).B));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairSelector.Choose(chances, 1.0));
    }
}
