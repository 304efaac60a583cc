namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Holm's step-down adjustment of p-values for testing several hypotheses at once (Holm 1979, "A simple sequentially
/// rejective multiple test procedure"): it keeps the family-wise error rate at α without Bonferroni's loss of power.
/// Adjusted p₍ᵢ₎ = max over j ≤ i of min(1, (m − j + 1) · p₍ⱼ₎) for the ascending p-values; rejecting where the adjusted
/// p-value is below α is Holm's procedure. Reference: R <c>p.adjust(p, method = "holm")</c>, statsmodels
/// <c>multipletests(method="holm")</c>. A gate over 52 C-Eval subjects without it fails about nine builds in ten on noise
/// alone at α = 0.05 when each subject is tested on its own.
/// </summary>
public static class Holm
{
    public static double[] Adjust(ReadOnlySpan<double> pValues)
    {
        var m = pValues.Length;
        var order = new int[m];
        for (var i = 0; i < m; i++)
        {
            if (double.IsNaN(pValues[i]) || pValues[i] is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(pValues), $"p-value {pValues[i]} is not in [0, 1]");
            order[i] = i;
        }
        var p = pValues.ToArray();
        // Stable order so that ties keep their input order, as R's order() does.
        Array.Sort(order, (x, y) => p[x] != p[y] ? p[x].CompareTo(p[y]) : x.CompareTo(y));
        var adjusted = new double[m];
        var running = 0.0;
        for (var rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * p[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }
}
