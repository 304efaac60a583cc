namespace Evals.Storage.Entities;

/// <summary>The JSON of <see cref="ArenaRatingSnapshot.Payload"/> (snake_case). Matrices follow <see cref="Models"/> (best first); an empty cell is null.
/// <see cref="StyleCoefficients"/>: length, headers, lists, bold (log-odds per standard deviation). <see cref="Categories"/>:
/// per prompt category (chinese, code, bank:writing, …), null in snapshots from before categories.</summary>
public sealed record ArenaRatings(
    IReadOnlyList<ArenaRatings.Row> Rows,
    IReadOnlyList<string> Models,
    double?[][] WinFraction,
    int[][] BattleCounts,
    int BootstrapRounds,
    long Seed,
    bool Converged,
    IReadOnlyList<double>? StyleCoefficients = null,
    IReadOnlyDictionary<string, ArenaRatings.CategoryRatings>? Categories = null)
{
    /// <summary>The leaderboard of one prompt category (docs/arena.md): its battles only, rated as the overall one.</summary>
    public sealed record CategoryRatings(int Battles, IReadOnlyList<Row> Rows);

    /// <param name="Rating">Bradley–Terry MLE on all counted votes.</param>
    /// <param name="CiLow">2.5th percentile of the bootstrap ratings.</param>
    /// <param name="Elo">Online Elo (K=4, scale 400, base 10, initial 1000), votes in time order.</param>
    /// <param name="StyleRating">Chatbot Arena's style-controlled rating (answer length, headers, lists and bold as
    /// covariates), with its bootstrap interval; null in snapshots from before style control.</param>
    public sealed record Row(string Model, double Rating, double CiLow, double CiHigh, int BestRank, int WorstRank, int Votes, double Elo,
        double? StyleRating = null, double? StyleCiLow = null, double? StyleCiHigh = null);
}
