using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class WilsonIntervalTests
{
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17:857–872,
    // Table I, method 3 (Wilson score interval without continuity correction), to the paper's four decimals.
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Matches_Newcombes_table_one(int successes, int n, double low, double high)
    {
        var (actualLow, actualHigh) = WilsonInterval.Compute(successes, n);
        Assert.Equal(low, Math.Round(actualLow / 100, 4));
        Assert.Equal(high, Math.Round(actualHigh / 100, 4));
    }
}
