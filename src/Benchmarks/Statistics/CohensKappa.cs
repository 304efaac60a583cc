namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Cohen's kappa (Cohen 1960): agreement of two raters beyond chance, κ = (p_o − p_e) / (1 − p_e), where p_o is the
/// observed agreement and p_e the agreement expected from each rater's marginal shares. Same definition as
/// scikit-learn's <c>cohen_kappa_score</c> (unweighted); like it, NaN when p_e = 1 (both raters always gave one and the
/// same label), where agreement beyond chance is undefined.
/// </summary>
public static class CohensKappa
{
    /// <param name="confusion">confusion[i, j]: items rater A put in category i and rater B in category j.</param>
    public static double Compute(int[,] confusion)
    {
        var k = confusion.GetLength(0);
        if (k != confusion.GetLength(1)) throw new ArgumentException("the table must be square", nameof(confusion));
        double total = 0, agreed = 0;
        var rows = new double[k];
        var columns = new double[k];
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++)
            {
                var count = confusion[i, j];
                if (count < 0) throw new ArgumentException($"cell [{i}, {j}] is negative", nameof(confusion));
                total += count;
                rows[i] += count;
                columns[j] += count;
                if (i == j) agreed += count;
            }
        if (total == 0) return double.NaN;
        var observed = agreed / total;
        var expected = 0.0;
        for (var i = 0; i < k; i++) expected += rows[i] / total * (columns[i] / total);
        return expected >= 1 ? double.NaN : (observed - expected) / (1 - expected);
    }

    /// <summary>Kappa of two binary raters over the same items.</summary>
    public static double Compute(IReadOnlyList<bool> raterA, IReadOnlyList<bool> raterB)
    {
        if (raterA.Count != raterB.Count) throw new ArgumentException($"the raters labelled {raterA.Count} and {raterB.Count} items");
        var table = new int[2, 2];
        for (var i = 0; i < raterA.Count; i++) table[raterA[i] ? 1 : 0, raterB[i] ? 1 : 0]++;
        return Compute(table);
    }
}
