namespace Evals.Benchmarks.Suites.Maths;

/// <summary>
/// Whether an answer equals the gold, per task tolerance (the manifest's <c>tolerance</c>):
/// <list type="bullet">
/// <item>two numbers both written as integers must be equal — CMATH's <c>eval.py</c> rule, and MGSM's exact match;</item>
/// <item>otherwise, with tolerance t &gt; 0, |a − b| / (min(|a|, |b|) + 1e-6) &lt; t — CMATH's relative rule (t = 0.01), so
/// 0.333 matches 1/3 and 48.10 matches 48.1; with t = 0 they must be equal as numbers (18.0 = 18, 2/6 = 1/3, 2,125 = 2125),
/// which is MGSM's string match after simple-evals strips trailing zeros and commas;</item>
/// <item>each side is compared in every reading it has (<see cref="NumericValue.Readings"/>): 50% matches a gold 0.5 and a
/// gold 50; 1.5万 matches 15000 and 1.5.</item>
/// </list>
/// </summary>
public static class NumericComparison
{
    public const double CmathTolerance = 0.01;

    public static bool Matches(NumericValue answer, NumericValue gold, double tolerance)
    {
        if (answer.IsInteger && gold.IsInteger) return answer.Value == gold.Value;
        foreach (var a in answer.Readings)
            foreach (var g in gold.Readings)
                if (Close(a, g, tolerance)) return true;
        return false;
    }

    private static bool Close(double a, double b, double tolerance)
    {
        if (double.IsNaN(a) || double.IsNaN(b)) return false;
        if (a == b) return true;
        return tolerance > 0 && Math.Abs(a - b) / (Math.Min(Math.Abs(a), Math.Abs(b)) + 1e-6) < tolerance;
    }
}
