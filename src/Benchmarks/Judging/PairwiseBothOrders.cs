namespace Evals.Benchmarks.Judging;

/// <summary>One item judged twice: first with the candidate in position A, then with the candidate in position B.</summary>
/// <param name="CandidateFirst">The verdict with the candidate's answer shown first (A); null when unreadable.</param>
/// <param name="CandidateSecond">The verdict with the candidate's answer shown second (B); null when unreadable.</param>
public sealed record PairwiseJudgment(PairwiseVerdict? CandidateFirst, PairwiseVerdict? CandidateSecond)
{
    /// <summary>The model-level verdict: the two orders must agree, otherwise it is a tie (FastChat's rule for
    /// "inconsistent" both-order judgments); unjudged when either order has no verdict.</summary>
    public PairwiseOutcome Outcome
    {
        get
        {
            if (CandidateFirst is not { } first || CandidateSecond is not { } second) return PairwiseOutcome.Unjudged;
            var a = ForCandidate(first, candidateIsA: true);
            var b = ForCandidate(second, candidateIsA: false);
            return a == b ? a : PairwiseOutcome.Tie;
        }
    }

    /// <summary>Whether the verdict changed with the order (position bias): both orders read, and they name different
    /// winners once mapped back to the models (a win in one order and a tie in the other counts as a flip too).</summary>
    public bool Flipped =>
        CandidateFirst is { } first && CandidateSecond is { } second
        && ForCandidate(first, candidateIsA: true) != ForCandidate(second, candidateIsA: false);

    /// <summary>Maps a positional verdict to the models.</summary>
    public static PairwiseOutcome ForCandidate(PairwiseVerdict verdict, bool candidateIsA) => verdict switch
    {
        PairwiseVerdict.Tie => PairwiseOutcome.Tie,
        PairwiseVerdict.A => candidateIsA ? PairwiseOutcome.CandidateWins : PairwiseOutcome.BaselineWins,
        _ => candidateIsA ? PairwiseOutcome.BaselineWins : PairwiseOutcome.CandidateWins,
    };

    /// <summary>The candidate's score on this item: 1 win, ½ tie, 0 loss; null when unjudged.</summary>
    public double? CandidateScore => Outcome switch
    {
        PairwiseOutcome.CandidateWins => 1.0,
        PairwiseOutcome.Tie => 0.5,
        PairwiseOutcome.BaselineWins => 0.0,
        _ => null,
    };
}
