using System.Runtime.CompilerServices;

namespace Evals.Benchmarks.Ratings;

/// <summary>
/// Online Elo as Chatbot Arena computes it: FastChat <c>compute_elo</c> (lm-sys/FastChat, <c>fastchat/serve/monitor/</c>
/// <c>elo_analysis.py</c>, now <c>rating_systems.py</c>, which writes E_a as 1 / (1 + e^(α (R_b − R_a))), α = ln(base) / scale,
/// the same number; also the 2023 Arena notebook). Every model starts at <c>initialRating</c>; for each battle, in the
/// order given, <c>E_a = 1 / (1 + base^((R_b − R_a) / scale))</c>, <c>E_b = 1 / (1 + base^((R_a − R_b) / scale))</c>,
/// <c>S_a</c> = 1 for a win, 0 for a loss, ½ for <c>tie</c> and <c>tie (bothbad)</c>; then <c>R_a += K (S_a − E_a)</c>
/// and <c>R_b += K (1 − S_a − E_b)</c>. Defaults K = 4, scale 400, base 10, initial 1000, as in FastChat.
/// The result depends on the order: sort by time (arena <c>tstamp</c>) before calling when the records have one.
/// Higher is better.
/// </summary>
public static class EloRating
{
    public const double DefaultK = 4;
    public const double DefaultScale = 400;
    public const double DefaultBase = 10;
    public const double DefaultInitialRating = 1000;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one pass over every battle: see BattleFile.Read
    public static RatingTable Compute(
        IReadOnlyList<Battle> battles,
        double k = DefaultK,
        double scale = DefaultScale,
        double @base = DefaultBase,
        double initialRating = DefaultInitialRating)
    {
        ArgumentNullException.ThrowIfNull(battles);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var models = new List<string>();
        var ratings = new List<double>();
        int Slot(string model)
        {
            if (index.TryGetValue(model, out var i)) return i;
            index[model] = models.Count;
            models.Add(model);
            ratings.Add(initialRating);
            return models.Count - 1;
        }

        for (var n = 0; n < battles.Count; n++)
        {
            var battle = battles[n];
            // FastChat reads both ratings before updating either, and creates A's entry before B's.
            var a = Slot(battle.ModelA);
            var b = Slot(battle.ModelB);
            var ra = ratings[a];
            var rb = ratings[b];
            var ea = 1 / (1 + Math.Pow(@base, (rb - ra) / scale));
            var eb = 1 / (1 + Math.Pow(@base, (ra - rb) / scale));
            var sa = battle.ScoreA;
            ratings[a] += k * (sa - ea);
            ratings[b] += k * (1 - sa - eb);
        }

        return new RatingTable(models, ratings);
    }
}
