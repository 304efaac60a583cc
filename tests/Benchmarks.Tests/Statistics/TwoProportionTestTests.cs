using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class TwoProportionTestTests
{
    // Newcombe (1998), Statistics in Medicine 17:873–890, Table II, method 10 (hybrid score interval).
    [Theory]
    [InlineData(56, 70, 48, 80, 0.0524, 0.3339)]
    [InlineData(9, 10, 3, 10, 0.1705, 0.8090)]
    [InlineData(6, 7, 2, 7, 0.0582, 0.8062)]
    [InlineData(5, 56, 0, 29, -0.0381, 0.1926)]
    public void Newcombe_hybrid_score_interval_matches_the_paper(int x1, int n1, int x2, int n2, double low, double high)
    {
        var result = TwoProportionTest.Compute(x1, n1, x2, n2);
        Assert.Equal(low * 100, result.CiLow, 0.006);
        Assert.Equal(high * 100, result.CiHigh, 0.006);
    }

    [Fact]
    public void Pooled_z_test()
    {
        // p = 104/150; z = (0.8 − 0.6) / √(p(1 − p)(1/70 + 1/80)); two-sided p from CPython math.erfc.
        var result = TwoProportionTest.Compute(56, 70, 48, 80);
        Assert.Equal(80, result.P1, 12);
        Assert.Equal(60, result.P2, 12);
        Assert.Equal(20, result.Difference, 12);
        Assert.Equal(2.6501719512585336, result.Z, 12);
        Assert.Equal(0.008045081368196568, result.PValue, 14);
    }

    [Fact]
    public void No_difference_is_not_significant()
    {
        var result = TwoProportionTest.Compute(30, 100, 30, 100);
        Assert.Equal(0, result.Z);
        Assert.Equal(1, result.PValue, 14);
        Assert.True(result.CiLow < 0 && result.CiHigh > 0);
        Assert.Equal(1, TwoProportionTest.Compute(0, 10, 0, 20).PValue);
        Assert.Throws<ArgumentOutOfRangeException>(() => TwoProportionTest.Compute(3, 2, 1, 2));
    }
}
