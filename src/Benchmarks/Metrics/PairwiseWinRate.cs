namespace Evals.Benchmarks.Metrics;

/// <summary>
/// The candidate's win rate against a baseline, judged in both orders: 100 per win, 50 per tie (a verdict that changes
/// with the order is a tie), 0 per loss, averaged over items (<see cref="Judging.PairwiseSummary"/> for the interval,
/// position bias and the win rate among judged items only).
/// </summary>
public static class PairwiseWinRate
{
    public const string Name = "pairwise_win_rate";

    public static readonly MetricInfo Info = new(Name, Aggregation.Mean, HigherIsBetter: true,
        "win rate against the baseline's answers, judged in both orders, ties as half");
}
