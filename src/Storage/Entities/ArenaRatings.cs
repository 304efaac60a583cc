namespace Evals.Storage.Entities;

/// <summary>The JSON of <see cref="ArenaRatingSnapshot.Payload"/> (snake_case). Matrices follow <see cref="Models"/> (best first); an empty cell is null.</summary>
public sealed record ArenaRatings(
    IReadOnlyList<ArenaRatings.Row> Rows,
    IReadOnlyList<string> Models,
    double?[][] WinFraction,
    int[][] BattleCounts,
    int BootstrapRounds,
    long Seed,
    bool Converged)
{
    /// <param name="Rating">Bradley–Terry MLE on all counted votes.</param>
    /// <param name="CiLow">2.5th percentile of the bootstrap ratings.</param>
    /// <param name="Elo">Online Elo (K=4, scale 400, base 10, initial 1000), votes in time order.</param>
    public sealed record Row(string Model, double Rating, double CiLow, double CiHigh, int BestRank, int WorstRank, int Votes, double Elo);
}
