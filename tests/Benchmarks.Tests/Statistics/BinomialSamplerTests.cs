using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class BinomialSamplerTests
{
    [Theory]
    [InlineData(100, 0.3)] // BTRS
    [InlineData(40, 0.5)] // BTRS
    [InlineData(20, 0.2)] // inversion
    [InlineData(60, 0.92)] // p > ½ by symmetry, then inversion
    public void Draws_follow_the_binomial_distribution(int n, double p)
    {
        // Pearson goodness of fit of 200,000 draws against the exact probabilities, cells with expectation ≥ 5.
        const int draws = 200_000;
        var rng = new SeededRandom(2024);
        var observed = new int[n + 1];
        for (var i = 0; i < draws; i++) observed[BinomialSampler.Sample(ref rng, n, p)]++;
        double chi = 0;
        var cells = 0;
        for (var k = 0; k <= n; k++)
        {
            var probability = Math.Exp(SpecialFunctions.LogChoose(n, k) + k * Math.Log(p) + (n - k) * Math.Log(1 - p));
            var expected = draws * probability;
            if (expected < 5) continue;
            chi += (observed[k] - expected) * (observed[k] - expected) / expected;
            cells++;
        }
        var pValue = SpecialFunctions.ChiSquareSurvival(chi, cells - 1);
        Assert.True(pValue > 1e-3, $"chi-square {chi:F1} on {cells - 1} df, p = {pValue:G3}");
    }

    [Fact]
    public void Large_n_has_the_right_mean_and_variance()
    {
        const int n = 1_000_000;
        const double p = 0.37;
        var rng = new SeededRandom(5);
        double sum = 0, sumSq = 0;
        const int draws = 20_000;
        for (var i = 0; i < draws; i++)
        {
            double x = BinomialSampler.Sample(ref rng, n, p);
            sum += x;
            sumSq += x * x;
        }
        var mean = sum / draws;
        var variance = sumSq / draws - mean * mean;
        var sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(mean, n * p - 5 * sd / Math.Sqrt(draws), n * p + 5 * sd / Math.Sqrt(draws));
        Assert.InRange(variance / (sd * sd), 0.95, 1.05);
    }

    [Fact]
    public void Multinomial_draws_sum_to_n()
    {
        var rng = new SeededRandom(9);
        var draws = new int[4];
        int[] weights = [5, 0, 90, 5];
        for (var i = 0; i < 100; i++)
        {
            BinomialSampler.Multinomial(ref rng, 100, weights, draws);
            Assert.Equal(100, draws.Sum());
            Assert.Equal(0, draws[1]);
        }
    }

    [Fact]
    public void A_log_factorial_table_changes_no_draw()
    {
        var table = new LogFactorials(5_000);
        int[] weights = [400, 30, 1200, 3, 2500, 867];
        var plain = new SeededRandom(17);
        var tabled = new SeededRandom(17);
        var a = new int[weights.Length];
        var b = new int[weights.Length];
        for (var i = 0; i < 2_000; i++)
        {
            BinomialSampler.Multinomial(ref plain, 5_000, weights, a);
            BinomialSampler.Multinomial(ref tabled, 5_000, weights, b, table);
            Assert.Equal(a, b);
        }
        Assert.Equal(SpecialFunctions.LogGamma(4_001), table[4_000]);
    }
}
