using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class BootstrapTests
{
    /// <summary>Two systems on the same items: B is right with probability pB, A agrees with B except on a share of items.</summary>
    private static (double[] A, double[] B) PairedAccuracy(int n, double pB, double pAOnly, double pBOnly, long seed)
    {
        var rng = new SeededRandom((ulong)seed);
        var a = new double[n];
        var b = new double[n];
        for (var i = 0; i < n; i++)
        {
            var bRight = rng.NextDouble() < pB;
            var u = rng.NextDouble();
            var aRight = bRight ? u >= pBOnly / pB : u < pAOnly / (1 - pB);
            a[i] = aRight ? 100 : 0;
            b[i] = bRight ? 100 : 0;
        }
        return (a, b);
    }

    [Fact]
    public void Paired_bootstrap_is_deterministic_for_a_seed()
    {
        var (a, b) = PairedAccuracy(500, 0.6, 0.10, 0.05, seed: 1);
        var one = PairedBootstrap.Compute(a, b, rounds: 500, seed: 7, maxDegreeOfParallelism: 1);
        var many = PairedBootstrap.Compute(a, b, rounds: 500, seed: 7, maxDegreeOfParallelism: 4);
        var other = PairedBootstrap.Compute(a, b, rounds: 500, seed: 8);
        Assert.Equal(one, many);
        Assert.NotEqual(one.CiLow, other.CiLow);
        Assert.Equal(one.Difference, other.Difference);
        Assert.Equal(one.MeanA - one.MeanB, one.Difference, 10);
    }

    [Fact]
    public void Identical_systems_differ_by_exactly_nothing()
    {
        var (a, _) = PairedAccuracy(300, 0.7, 0.1, 0.1, seed: 2);
        var result = PairedBootstrap.Compute(a, a, rounds: 200, seed: 1);
        Assert.Equal((0.0, 0.0, 0.0), (result.Difference, result.CiLow, result.CiHigh));
        Assert.Equal(1.0, result.PValue);
    }

    [Fact]
    public void Paired_intervals_cover_the_true_difference_about_95_percent_of_the_time()
    {
        // True difference: P(A only right) − P(B only right) = 8% − 3% = 5 points. 100 runs of 400 items each.
        int covered = 0, significant = 0;
        const int runs = 100;
        for (var run = 0; run < runs; run++)
        {
            var (a, b) = PairedAccuracy(400, 0.6, 0.08, 0.03, seed: 100 + run);
            var result = PairedBootstrap.Compute(a, b, rounds: 1000, seed: run);
            if (result.CiLow <= 5 && 5 <= result.CiHigh) covered++;
            if (result.PValue < 0.05) significant++;
            Assert.Equal(result.PValue < 0.05, result.CiLow > 0 || result.CiHigh < 0);
        }
        Assert.InRange(covered, 88, 100); // expected 95, sd ≈ 2.2
        Assert.True(significant > runs / 2, $"power {significant}/{runs}"); // z ≈ 5/1.6 ≈ 3.1 → power ≈ 0.87
    }

    [Fact]
    public void Continuous_scores_take_the_index_path_and_still_cover()
    {
        // F1-like scores with many distinct values; A is better by exactly 4 points in expectation.
        var covered = 0;
        for (var run = 0; run < 40; run++)
        {
            var rng = new SeededRandom((ulong)(500 + run));
            var a = new double[150];
            var b = new double[150];
            for (var i = 0; i < a.Length; i++)
            {
                var difficulty = 100 * rng.NextDouble();
                b[i] = difficulty;
                a[i] = difficulty + 4 + 20 * (rng.NextDouble() - 0.5);
            }
            var result = PairedBootstrap.Compute(a, b, rounds: 400, seed: run);
            if (result.CiLow <= 4 && 4 <= result.CiHigh) covered++;
        }
        Assert.InRange(covered, 34, 40); // expected 38
    }

    [Fact]
    public void Mean_interval_agrees_with_normal_theory_on_a_large_sample()
    {
        var rng = new SeededRandom(3);
        var scores = new double[4000];
        for (var i = 0; i < scores.Length; i++) scores[i] = rng.NextDouble() < 0.3 ? 100 : 0;
        var interval = BootstrapMeanInterval.Compute(scores, rounds: 2000, seed: 11);
        var mean = scores.Average();
        var se = Math.Sqrt(mean * (100 - mean) / scores.Length);
        Assert.Equal(mean, interval.Mean, 12);
        Assert.Equal(mean - 1.96 * se, interval.CiLow, 0.25);
        Assert.Equal(mean + 1.96 * se, interval.CiHigh, 0.25);
        var (wilsonLow, wilsonHigh) = WilsonInterval.Compute(scores.Count(s => s > 0), scores.Length);
        Assert.Equal(wilsonLow, interval.CiLow, 0.3);
        Assert.Equal(wilsonHigh, interval.CiHigh, 0.3);
        Assert.Equal(interval, BootstrapMeanInterval.Compute(scores, rounds: 2000, seed: 11, maxDegreeOfParallelism: 1));
    }

    [Fact]
    public void Mean_interval_of_continuous_scores()
    {
        var rng = new SeededRandom(4);
        var scores = Enumerable.Range(0, 2000).Select(_ => 100 * rng.NextDouble()).ToArray(); // uniform, sd 28.87
        var interval = BootstrapMeanInterval.Compute(scores, rounds: 1000, seed: 1);
        var se = 100 / Math.Sqrt(12) / Math.Sqrt(scores.Length);
        Assert.Equal(2 * 1.96 * se, interval.CiHigh - interval.CiLow, 0.3);
        Assert.InRange(interval.Mean, interval.CiLow, interval.CiHigh);
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => PairedBootstrap.Compute([1, 2], [1], rounds: 10));
        Assert.Throws<ArgumentException>(() => BootstrapMeanInterval.Compute([], rounds: 10));
        Assert.Throws<ArgumentException>(() => BootstrapMeanInterval.Compute([double.NaN], rounds: 10));
    }
}
