namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Exact Binomial(n, p) variates, for resampling in O(1) per category rather than O(n) per round. For n·min(p, 1−p) &lt; 10,
/// inversion by sequential search (Kachitvichyanukul &amp; Schmeiser 1988, "BINV"); otherwise the transformed rejection
/// with squeeze of Hörmann (1993), "BTRS" (the method TensorFlow's and JAX's binomial samplers use). Both are exact:
/// approximations only affect speed, never the distribution.
/// </summary>
public static class BinomialSampler
{
    /// <param name="logFactorials">ln k! for k up to <paramref name="n"/>, to replace the log-gamma calls of the rejection
    /// step by lookups when many draws share one bound (a bootstrap); the values are the same, so are the draws.</param>
    public static int Sample(ref SeededRandom rng, int n, double p, LogFactorials? logFactorials = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p));
        if (n == 0 || p == 0) return 0;
        if (p == 1) return n;
        if (p > 0.5) return n - Sample(ref rng, n, 1 - p, logFactorials);
        return n * p < 10 ? Inversion(ref rng, n, p) : Btrs(ref rng, n, p, logFactorials is not null && logFactorials.Max >= n ? logFactorials : null);
    }

    /// <summary>A multinomial draw of <paramref name="n"/> items over categories with the given counts (probabilities ∝ counts), by conditional binomials.</summary>
    public static void Multinomial(ref SeededRandom rng, int n, ReadOnlySpan<int> weights, Span<int> draws, LogFactorials? logFactorials = null)
    {
        long remainingWeight = 0;
        foreach (var w in weights) remainingWeight += w;
        var remaining = n;
        for (var j = 0; j < weights.Length; j++)
        {
            if (remaining == 0 || remainingWeight <= 0) { draws[j] = 0; continue; }
            if (weights[j] == remainingWeight) { draws[j] = remaining; remaining = 0; remainingWeight = 0; continue; }
            var x = Sample(ref rng, remaining, (double)weights[j] / remainingWeight, logFactorials);
            draws[j] = x;
            remaining -= x;
            remainingWeight -= weights[j];
        }
    }

    private static int Inversion(ref SeededRandom rng, int n, double p)
    {
        var q = 1 - p;
        var s = p / q;
        var a = (n + 1) * s;
        var start = Math.Pow(q, n);
        while (true)
        {
            var r = start;
            var u = rng.NextDouble();
            var x = 0;
            while (u > r)
            {
                u -= r;
                x++;
                if (x > n) break; // rounding ran past the support: draw again
                r *= a / x - s;
            }
            if (x <= n) return x;
        }
    }

    private static int Btrs(ref SeededRandom rng, int n, double p, LogFactorials? table)
    {
        double LnFactorial(double k) => table is null ? SpecialFunctions.LogGamma(k + 1) : table[(int)k];
        var q = 1 - p;
        var spq = Math.Sqrt(n * p * q);
        var b = 1.15 + 2.53 * spq;
        var a = -0.0873 + 0.0248 * b + 0.01 * p;
        var c = n * p + 0.5;
        var vr = 0.92 - 4.2 / b;
        var alpha = (2.83 + 5.1 / b) * spq;
        var lpq = Math.Log(p / q);
        var m = Math.Floor((n + 1) * p);
        var h = LnFactorial(m) + LnFactorial(n - m);
        while (true)
        {
            var u = rng.NextDouble() - 0.5;
            var v = rng.NextDouble();
            var us = 0.5 - Math.Abs(u);
            var k = Math.Floor((2 * a / us + b) * u + c);
            if (k < 0 || k > n) continue;
            if (us >= 0.07 && v <= vr) return (int)k;
            v = Math.Log(v * alpha / (a / (us * us) + b));
            if (v <= h - LnFactorial(k) - LnFactorial(n - k) + (k - m) * lpq) return (int)k;
        }
    }
}

/// <summary>ln k! for k = 0…<see cref="Max"/>, computed once with the same log-gamma the sampler would call.</summary>
public sealed class LogFactorials
{
    private readonly double[] _values;

    public LogFactorials(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        _values = new double[max + 1];
        for (var k = 0; k <= max; k++) _values[k] = SpecialFunctions.LogGamma(k + 1.0);
    }

    public int Max => _values.Length - 1;

    public double this[int k] => _values[k];
}
