namespace Evals.Benchmarks.Judging;

/// <summary>A judge's verdict on one presentation of two answers, by position: A (shown first), B (shown second) or a tie.</summary>
public enum PairwiseVerdict
{
    A,
    B,
    Tie,
}

/// <summary>The verdict on one item after both orders, by model rather than by position.</summary>
public enum PairwiseOutcome
{
    /// <summary>The candidate's answer won in both orders.</summary>
    CandidateWins,
    /// <summary>The baseline's answer won in both orders.</summary>
    BaselineWins,
    /// <summary>Both orders said tie, or the verdict changed with the order.</summary>
    Tie,
    /// <summary>At least one order got a reply with no readable verdict: never a win, left out of the win rate and counted.</summary>
    Unjudged,
}
