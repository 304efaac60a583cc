using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class McNemarTests
{
    [Fact]
    public void Exact_test_of_b10_c2_is_0_0386()
    {
        // 2 · P(X ≤ 2 | n = 12, ½) = 2 · 79 / 4096 = 0.03857421875 (the textbook 0.0386; statsmodels mcnemar(exact=True)).
        var result = McNemar.Exact(10, 2);
        Assert.Equal(0.03857421875, result.PValue, 15);
        Assert.Equal(2, result.Statistic);
        Assert.Equal(McNemarMethod.Exact, result.Method);
        Assert.Equal(result, McNemar.Test(10, 2)); // b + c < 25 → exact
    }

    [Theory]
    [InlineData(5, 0, 0.0625)] // 2 / 2^5
    [InlineData(3, 7, 0.34375)] // 2 · 176 / 1024
    [InlineData(4, 4, 1.0)]
    [InlineData(0, 0, 1.0)]
    public void Exact_two_sided_p_values(int b, int c, double expected) =>
        Assert.Equal(expected, McNemar.Exact(b, c).PValue, 13);

    [Fact]
    public void Chi_square_with_continuity_correction()
    {
        // (|10 − 2| − 1)² / 12 = 49/12; p = erfc(√(x/2)) from CPython's math.erfc.
        var result = McNemar.ChiSquare(10, 2);
        Assert.Equal(49.0 / 12, result.Statistic, 14);
        Assert.Equal(0.04330814281079198, result.PValue, 12);
        Assert.Equal(McNemarMethod.ChiSquareCorrected, result.Method);
    }

    [Fact]
    public void Agresti_presidential_approval_example()
    {
        // Agresti, Categorical Data Analysis, §10.1: approval in two surveys of the same 1600 people, b = 150, c = 86:
        // z² = 64² / 236 = 17.36, p < 0.001.
        var plain = McNemar.ChiSquare(150, 86, continuityCorrection: false);
        Assert.Equal(17.356, plain.Statistic, 3);
        Assert.Equal(3.0992934410452196e-05, plain.PValue, 15);
        var corrected = McNemar.Test(150, 86); // b + c ≥ 25 → corrected chi-square
        Assert.Equal(McNemarMethod.ChiSquareCorrected, corrected.Method);
        Assert.Equal(63.0 * 63 / 236, corrected.Statistic, 12);
        Assert.Equal(4.1145622813459415e-05, corrected.PValue, 15);
        // The exact test agrees in magnitude.
        Assert.InRange(McNemar.Exact(150, 86).PValue, 2e-5, 6e-5);
    }

    [Fact]
    public void Equal_discordant_counts_never_look_significant()
    {
        Assert.Equal(0, McNemar.ChiSquare(30, 30).Statistic);
        Assert.Equal(1, McNemar.ChiSquare(30, 30).PValue);
    }

    [Fact]
    public void Discordant_pairs_are_counted_from_item_outcomes()
    {
        bool[] first = [true, true, false, false, true];
        bool[] second = [true, false, true, false, false];
        Assert.Equal((2, 1), McNemar.Discordant(first, second));
        Assert.Throws<ArgumentException>(() => McNemar.Discordant(first, second.AsSpan(1)));
    }
}
