namespace Evals.Benchmarks.Statistics;

/// <summary>
/// The few special functions the tests of significance need, to double precision: log-gamma (Stirling's series after
/// shifting the argument up with the recurrence), the regularised incomplete gamma functions (series and Lentz's
/// continued fraction, as in Numerical Recipes §6.2), and from them erfc, the normal and chi-square tails.
/// </summary>
public static class SpecialFunctions
{
    private const double Epsilon = 1e-16;
    private const double Tiny = 1e-300;

    /// <summary>ln Γ(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma needs x > 0.");
        var shift = 0.0;
        while (x < 15)
        {
            shift += Math.Log(x);
            x += 1;
        }
        var inverse = 1 / x;
        var inverse2 = inverse * inverse;
        // Stirling: (x − ½) ln x − x + ½ ln 2π + Σ B_2k / (2k (2k − 1) x^(2k − 1)).
        var series = inverse * (1.0 / 12 + inverse2 * (-1.0 / 360 + inverse2 * (1.0 / 1260 + inverse2 * (-1.0 / 1680
            + inverse2 * (1.0 / 1188 + inverse2 * (-691.0 / 360360))))));
        return (x - 0.5) * Math.Log(x) - x + 0.91893853320467274178 + series - shift;
    }

    /// <summary>ln C(n, k).</summary>
    public static double LogChoose(int n, int k) => LogGamma(n + 1.0) - LogGamma(k + 1.0) - LogGamma(n - k + 1.0);

    /// <summary>The regularised lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a).</summary>
    public static double GammaP(double a, double x) => x < a + 1 ? GammaSeries(a, x) : 1 - GammaContinuedFraction(a, x);

    /// <summary>The regularised upper incomplete gamma function Q(a, x) = 1 − P(a, x), accurate in the far tail.</summary>
    public static double GammaQ(double a, double x) => x < a + 1 ? 1 - GammaSeries(a, x) : GammaContinuedFraction(a, x);

    /// <summary>The complementary error function.</summary>
    public static double Erfc(double x) => x >= 0 ? GammaQ(0.5, x * x) : 1 + GammaP(0.5, x * x);

    /// <summary>Φ(z), the standard normal distribution function.</summary>
    public static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>The two-sided normal tail P(|Z| ≥ |z|).</summary>
    public static double NormalTwoSidedP(double z) => Erfc(Math.Abs(z) / Math.Sqrt(2));

    /// <summary>Φ⁻¹(p), by Newton's method on <see cref="NormalCdf"/> from a bracketing bisection start.</summary>
    public static double NormalQuantile(double p)
    {
        if (p is <= 0 or >= 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "Needs 0 < p < 1.");
        if (p > 0.5) return -NormalQuantile(1 - p);
        double low = -40, high = 0;
        for (var i = 0; i < 30; i++)
        {
            var mid = (low + high) / 2;
            if (NormalCdf(mid) < p) low = mid; else high = mid;
        }
        var z = (low + high) / 2;
        for (var i = 0; i < 50; i++)
        {
            var density = Math.Exp(-z * z / 2) / Math.Sqrt(2 * Math.PI);
            var step = (NormalCdf(z) - p) / density;
            z -= step;
            if (Math.Abs(step) < 1e-15 * Math.Max(1, Math.Abs(z))) break;
        }
        return z;
    }

    /// <summary>P(X ≥ x) for X chi-square with <paramref name="degreesOfFreedom"/> degrees of freedom.</summary>
    public static double ChiSquareSurvival(double x, double degreesOfFreedom) =>
        x <= 0 ? 1 : GammaQ(degreesOfFreedom / 2, x / 2);

    /// <summary>P(X ≤ k) for X ~ Binomial(n, p), summed exactly term by term from the top term down.</summary>
    public static double BinomialCdf(int k, int n, double p)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n));
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p));
        if (k < 0) return 0;
        if (k >= n) return 1;
        if (p == 0) return 1;
        if (p == 1) return 0;
        // Sum the tail that does not contain the mode, from its largest term (next to the mode) outwards.
        if (k >= n * p) return 1 - UpperTail(k + 1, n, p);
        var term = Math.Exp(LogChoose(n, k) + k * Math.Log(p) + (n - k) * Math.Log(1 - p));
        var sum = term;
        var ratio = (1 - p) / p;
        for (var i = k; i > 0; i--)
        {
            term *= i / (double)(n - i + 1) * ratio; // P(i − 1) / P(i)
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return Math.Min(1, sum);
    }

    /// <summary>P(X ≥ k) for X ~ Binomial(n, p), k above the mode.</summary>
    private static double UpperTail(int k, int n, double p)
    {
        var term = Math.Exp(LogChoose(n, k) + k * Math.Log(p) + (n - k) * Math.Log(1 - p));
        var sum = term;
        var ratio = p / (1 - p);
        for (var j = k; j < n; j++)
        {
            term *= (n - j) / (double)(j + 1) * ratio; // P(j + 1) / P(j)
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return Math.Min(1, sum);
    }

    private static double GammaSeries(double a, double x)
    {
        if (x <= 0) return 0;
        var ap = a;
        var term = 1 / a;
        var sum = term;
        for (var n = 0; n < 10_000; n++)
        {
            ap += 1;
            term *= x / ap;
            sum += term;
            if (Math.Abs(term) < Math.Abs(sum) * Epsilon) break;
        }
        return sum * Math.Exp(-x + a * Math.Log(x) - LogGamma(a));
    }

    private static double GammaContinuedFraction(double a, double x)
    {
        var b = x + 1 - a;
        var c = 1 / Tiny;
        var d = 1 / b;
        var h = d;
        for (var i = 1; i < 10_000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = b + an / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon) break;
        }
        return Math.Exp(-x + a * Math.Log(x) - LogGamma(a)) * h;
    }
}
