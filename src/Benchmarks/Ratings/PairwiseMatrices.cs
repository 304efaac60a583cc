using System.Runtime.CompilerServices;

namespace Evals.Benchmarks.Ratings;

/// <summary>
/// Head-to-head tables for the arena page, rows and columns in <see cref="Models"/> order.
/// <see cref="WinFraction"/>[i][j] is the fraction of all battles between i and j (either seat, ties included in the
/// denominator) that i won, as FastChat's <c>compute_pairwise_win_fraction</c> computes it
/// (<c>(a_win_ptbl + b_win_ptbl.T) / (num_battles_ptbl + num_battles_ptbl.T)</c>); NaN where the pair never met and
/// on the diagonal. <see cref="BattleCounts"/> is symmetric; <see cref="Wins"/>[i][j] counts i's wins over j.
/// </summary>
public sealed record PairwiseMatrices(
    IReadOnlyList<string> Models,
    double[][] WinFraction,
    int[][] Wins,
    int[][] BattleCounts)
{
    /// <summary>The matrices for <paramref name="models"/> (in that order); battles with other models, or of a model with itself, are ignored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one pass over every battle: see BattleFile.Read
    public static PairwiseMatrices Compute(IReadOnlyList<Battle> battles, IReadOnlyList<string> models)
    {
        ArgumentNullException.ThrowIfNull(battles);
        ArgumentNullException.ThrowIfNull(models);
        var m = models.Count;
        var slot = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < m; i++) slot[models[i]] = i;
        var wins = NewMatrix<int>(m);
        var counts = NewMatrix<int>(m);
        foreach (var battle in battles)
        {
            if (battle.ModelA == battle.ModelB) continue;
            if (!slot.TryGetValue(battle.ModelA, out var a) || !slot.TryGetValue(battle.ModelB, out var b)) continue;
            counts[a][b]++;
            counts[b][a]++;
            if (battle.Winner == BattleWinner.ModelA) wins[a][b]++;
            else if (battle.Winner == BattleWinner.ModelB) wins[b][a]++;
        }
        var fraction = NewMatrix<double>(m);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < m; j++)
                fraction[i][j] = counts[i][j] == 0 ? double.NaN : (double)wins[i][j] / counts[i][j];
        return new PairwiseMatrices(models.ToArray(), fraction, wins, counts);
    }

    /// <summary>The probability that a model rated <paramref name="ratingA"/> beats one rated <paramref name="ratingB"/> under the Elo/BT model (FastChat <c>predict_win_rate</c>).</summary>
    public static double ExpectedWinProbability(double ratingA, double ratingB, double scale = 400, double @base = 10) =>
        1 / (1 + Math.Pow(@base, (ratingB - ratingA) / scale));

    private static T[][] NewMatrix<T>(int m)
    {
        var rows = new T[m][];
        for (var i = 0; i < m; i++) rows[i] = new T[m];
        return rows;
    }
}
