namespace Evals.Benchmarks.Statistics;

/// <summary>How a McNemar p-value was computed.</summary>
public enum McNemarMethod
{
    /// <summary>Exact: two-sided binomial test of min(b, c) against Binomial(b + c, ½).</summary>
    Exact,
    /// <summary>Chi-square with one degree of freedom on (|b − c| − 1)² / (b + c) (Edwards' continuity correction).</summary>
    ChiSquareCorrected,
    /// <summary>Chi-square with one degree of freedom on (b − c)² / (b + c) (McNemar 1947).</summary>
    ChiSquare,
}

/// <summary>A McNemar test result. <see cref="Statistic"/> is min(b, c) for the exact test, the chi-square value otherwise.</summary>
public sealed record McNemarResult(int B, int C, double Statistic, double PValue, McNemarMethod Method);

/// <summary>
/// McNemar's test for paired binary outcomes (two systems on the same items): b = items only system 1 got right,
/// c = items only system 2 got right; concordant items carry no information. Reference: statsmodels
/// <c>statsmodels.stats.contingency_tables.mcnemar</c> (exact: <c>min(1, 2 · binom.cdf(min(b, c), b + c, ½))</c>;
/// otherwise <c>(|b − c| − corr)² / (b + c)</c> against chi-square(1)); Agresti, <i>Categorical Data Analysis</i> §10.1.
/// </summary>
public static class McNemar
{
    /// <summary>Below this many discordant pairs <see cref="Test"/> uses the exact test (the usual rule of thumb, b + c &lt; 25).</summary>
    public const int ExactBelow = 25;

    /// <summary>The exact test when b + c &lt; <see cref="ExactBelow"/>, else chi-square with continuity correction.</summary>
    public static McNemarResult Test(int b, int c) => b + c < ExactBelow ? Exact(b, c) : ChiSquare(b, c, continuityCorrection: true);

    /// <summary>The exact (binomial) two-sided test.</summary>
    public static McNemarResult Exact(int b, int c)
    {
        Validate(b, c);
        var n = b + c;
        var k = Math.Min(b, c);
        var p = n == 0 ? 1 : Math.Min(1, 2 * SpecialFunctions.BinomialCdf(k, n, 0.5));
        return new McNemarResult(b, c, k, p, McNemarMethod.Exact);
    }

    /// <summary>
    /// The chi-square test. With the correction, |b − c| − 1 is floored at zero (statsmodels does not floor, which for
    /// b = c gives a positive statistic; the floored statistic is 0 and p = 1).
    /// </summary>
    public static McNemarResult ChiSquare(int b, int c, bool continuityCorrection = true)
    {
        Validate(b, c);
        var n = b + c;
        if (n == 0)
            return new McNemarResult(b, c, 0, 1, continuityCorrection ? McNemarMethod.ChiSquareCorrected : McNemarMethod.ChiSquare);
        var difference = Math.Abs(b - c) - (continuityCorrection ? 1.0 : 0.0);
        difference = Math.Max(0, difference);
        var statistic = difference * difference / n;
        return new McNemarResult(b, c, statistic, SpecialFunctions.ChiSquareSurvival(statistic, 1),
            continuityCorrection ? McNemarMethod.ChiSquareCorrected : McNemarMethod.ChiSquare);
    }

    /// <summary>Counts b and c from per-item correctness of two systems on the same items.</summary>
    public static (int B, int C) Discordant(ReadOnlySpan<bool> first, ReadOnlySpan<bool> second)
    {
        if (first.Length != second.Length) throw new ArgumentException("Both systems must be scored on the same items.");
        int b = 0, c = 0;
        for (var i = 0; i < first.Length; i++)
        {
            if (first[i] && !second[i]) b++;
            else if (!first[i] && second[i]) c++;
        }
        return (b, c);
    }

    private static void Validate(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
    }
}
