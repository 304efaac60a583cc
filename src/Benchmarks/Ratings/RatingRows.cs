using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Ratings;

/// <summary>Leaderboard rows from a point fit and its bootstrap samples: percentile intervals and rank ranges.</summary>
internal static class RatingRows
{
    /// <param name="samples">Round-major (round × model); NaN where a model was missing from a round's resample.</param>
    public static BradleyTerryRow[] Build(string[] models, double[] point, double[] samples, int rounds, int[] votes)
    {
        var m = models.Length;
        var ciLow = new double[m];
        var ciHigh = new double[m];
        var column = new double[rounds];
        for (var i = 0; i < m; i++)
        {
            var count = 0;
            for (var r = 0; r < rounds; r++)
            {
                var value = samples[r * m + i];
                if (!double.IsNaN(value)) column[count++] = value;
            }
            var present = column.AsSpan(0, count);
            present.Sort();
            ciLow[i] = count == 0 ? point[i] : Quantile.OfSorted(present, 0.025);
            ciHigh[i] = count == 0 ? point[i] : Quantile.OfSorted(present, 0.975);
        }

        var order = Enumerable.Range(0, m).OrderByDescending(i => point[i]).ThenBy(i => models[i], StringComparer.Ordinal).ToArray();
        var rows = new BradleyTerryRow[m];
        for (var k = 0; k < m; k++)
        {
            var i = order[k];
            int above = 0, below = 0;
            for (var j = 0; j < m; j++)
            {
                if (j == i) continue;
                if (ciLow[j] > ciHigh[i]) above++;
                if (ciHigh[j] < ciLow[i]) below++;
            }
            rows[k] = new BradleyTerryRow(models[i], point[i], ciLow[i], ciHigh[i], votes[i], 1 + above, m - below);
        }
        return rows;
    }
}
