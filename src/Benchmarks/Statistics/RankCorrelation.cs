namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Rank correlations of two raters' grades over the same items, with ties as grades 1–10 always have: Spearman's rho
/// (Pearson's correlation of the average ranks, as SciPy's <c>spearmanr</c>) and Kendall's tau-b (Kendall 1945:
/// (P − Q) / √((P + Q + X₀)(P + Q + Y₀)), with X₀ and Y₀ the pairs tied on one rater only; SciPy's <c>kendalltau</c>
/// default). Both are NaN where undefined: fewer than two items, or one rater gave every item the same grade.
/// </summary>
public static class RankCorrelation
{
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Require(a, b);
        return Pearson(AverageRanks(a), AverageRanks(b));
    }

    public static double KendallTauB(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Require(a, b);
        // O(n²) over pairs: judge-check labels are hundreds of items, and the pair count reads straight off the definition.
        long concordant = 0, discordant = 0, tiedA = 0, tiedB = 0;
        for (var i = 0; i < a.Count; i++)
            for (var j = i + 1; j < a.Count; j++)
            {
                var da = Math.Sign(a[i] - a[j]);
                var db = Math.Sign(b[i] - b[j]);
                if (da == 0 && db == 0) continue;
                if (da == 0) tiedA++;
                else if (db == 0) tiedB++;
                else if (da == db) concordant++;
                else discordant++;
            }
        var denominator = Math.Sqrt((double)(concordant + discordant + tiedA) * (concordant + discordant + tiedB));
        return denominator == 0 ? double.NaN : (concordant - discordant) / denominator;
    }

    /// <summary>Ranks 1..n, tied values sharing the mean of the ranks they span.</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    private static double Pearson(double[] x, double[] y)
    {
        if (x.Length < 2) return double.NaN;
        var (mx, my) = (x.Average(), y.Average());
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static void Require(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"the raters graded {a.Count} and {b.Count} items");
        if (a.Concat(b).Any(double.IsNaN)) throw new ArgumentException("a grade is NaN");
    }
}
