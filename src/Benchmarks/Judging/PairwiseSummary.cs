using Evals.Benchmarks.Ratings;
using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Judging;

/// <summary>
/// A candidate's pairwise result against one baseline.
/// </summary>
/// <param name="WinRate">100 × mean score over judged items (win 1, tie ½, loss 0); NaN when nothing was judged.</param>
/// <param name="CiLow">Lower end of the 95% percentile bootstrap interval of <paramref name="WinRate"/> (items resampled).</param>
/// <param name="CiHigh">Upper end of that interval.</param>
/// <param name="Unjudged">Items with no readable verdict in at least one order: left out of the win rate, never a win.</param>
/// <param name="Flipped">Items both of whose orders were read and whose verdict changed with the order.</param>
/// <param name="BothRead">Items both of whose orders were read: the denominator of <paramref name="PositionBiasRate"/>.</param>
/// <param name="PositionBiasRate">100 × <paramref name="Flipped"/> / <paramref name="BothRead"/>; NaN when none.</param>
public sealed record PairwiseSummary(
    int Items, int Wins, int Losses, int Ties, int Unjudged, int Flipped, int BothRead,
    double WinRate, double CiLow, double CiHigh, double PositionBiasRate, int Rounds, long Seed)
{
    public static PairwiseSummary Compute(IReadOnlyList<PairwiseJudgment> judgments, int rounds = 1000, long seed = 0)
    {
        int wins = 0, losses = 0, ties = 0, unjudged = 0, flipped = 0, bothRead = 0;
        var scores = new List<double>(judgments.Count);
        foreach (var j in judgments)
        {
            if (j.CandidateFirst is not null && j.CandidateSecond is not null) bothRead++;
            if (j.Flipped) flipped++;
            switch (j.Outcome)
            {
                case PairwiseOutcome.CandidateWins: wins++; break;
                case PairwiseOutcome.BaselineWins: losses++; break;
                case PairwiseOutcome.Tie: ties++; break;
                default: unjudged++; break;
            }
            if (j.CandidateScore is { } score) scores.Add(score);
        }
        double winRate = double.NaN, low = double.NaN, high = double.NaN;
        if (scores.Count > 0)
        {
            var interval = BootstrapMeanInterval.Compute(scores.ToArray(), rounds, seed);
            winRate = 100 * interval.Mean;
            low = 100 * interval.CiLow;
            high = 100 * interval.CiHigh;
        }
        return new PairwiseSummary(judgments.Count, wins, losses, ties, unjudged, flipped, bothRead, winRate, low, high,
            bothRead == 0 ? double.NaN : 100.0 * flipped / bothRead, rounds, seed);
    }
}

/// <summary>One judged item between two named models, for ratings over many pairs.</summary>
public sealed record JudgedPair(string Candidate, string Baseline, PairwiseOutcome Outcome);

/// <summary>
/// Bradley–Terry ratings over judged pairs: each judged item is one battle (candidate as model A), a tie counting as
/// half a win each way; unjudged items are left out. The fit is the arena's (<see cref="BradleyTerry"/>).
/// </summary>
public static class PairwiseRatings
{
    public static IReadOnlyList<Battle> Battles(IEnumerable<JudgedPair> pairs) =>
        pairs.Where(p => p.Outcome != PairwiseOutcome.Unjudged)
            .Select(p => new Battle(p.Candidate, p.Baseline, p.Outcome switch
            {
                PairwiseOutcome.CandidateWins => BattleWinner.ModelA,
                PairwiseOutcome.BaselineWins => BattleWinner.ModelB,
                _ => BattleWinner.Tie,
            }))
            .ToList();

    public static BradleyTerryLeaderboard Leaderboard(IEnumerable<JudgedPair> pairs, int rounds = 100, long seed = 42) =>
        BradleyTerry.Leaderboard(Battles(pairs), rounds, seed);
}
