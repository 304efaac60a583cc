using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class SpecialFunctionsTests
{
    // Reference values: CPython 3.11 math.erfc / math.lgamma (C libm), and exact rational sums with fractions.Fraction.
    [Theory]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(-1.2, 1.9103139782296354)]
    [InlineData(6.0, 2.1519736712498916e-17)]
    public void Erfc_matches_libm(double x, double expected) =>
        Assert.Equal(expected, SpecialFunctions.Erfc(x), expected * 1e-12);

    [Theory]
    [InlineData(0.5, 0.5723649429247004)]
    [InlineData(3.7, 1.4280723266653883)]
    [InlineData(120.25, 454.2209873833582)]
    [InlineData(1e6, 12815504.569147611)]
    public void LogGamma_matches_libm(double x, double expected) =>
        Assert.Equal(expected, SpecialFunctions.LogGamma(x), Math.Abs(expected) * 1e-14 + 1e-14);

    [Fact]
    public void Normal_and_chi_square_tails()
    {
        Assert.Equal(1.959963984540054, SpecialFunctions.NormalQuantile(0.975), 12);
        Assert.Equal(-1.6448536269514722, SpecialFunctions.NormalQuantile(0.05), 12);
        Assert.Equal(0.975, SpecialFunctions.NormalCdf(1.959963984540054), 14);
        // chi-square(3) at its 95th percentile 7.814727903251178; closed form erfc(√(x/2)) + √(2x/π) e^(−x/2).
        Assert.Equal(0.05, SpecialFunctions.ChiSquareSurvival(7.814727903251178, 3), 13);
    }

    [Theory]
    [InlineData(80, 200, 0.5, 0.0028425779983751527)]
    [InlineData(20, 50, 0.3, 0.95223616457947)]
    [InlineData(5, 50, 0.3, 0.0007228617211623762)]
    [InlineData(2, 12, 0.5, 79.0 / 4096)]
    public void Binomial_cdf_matches_exact_sums(int k, int n, double p, double expected) =>
        Assert.Equal(expected, SpecialFunctions.BinomialCdf(k, n, p), expected * 1e-12);
}
