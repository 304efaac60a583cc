using Evals.Benchmarks.Judging;

namespace Evals.Benchmarks.Tests.Judging;

/// <summary>Both-order judging: a verdict that changes with the order is a tie; position bias, win rate and ratings.</summary>
public sealed class PairwiseBothOrdersTests
{
    private static readonly string[] Questions = Enumerable.Range(0, 40).Select(i => $"问题 {i}").ToArray();

    /// <summary>A judge that reads nothing and always prefers whatever is shown first.</summary>
    private static PairwiseVerdict? AlwaysA(string prompt) => PairwiseVerdictParser.Parse("位置在前的回答更好。[[A]]");

    /// <summary>A judge that prefers the longer answer, whichever position it is in.</summary>
    private static PairwiseVerdict? Longer(string prompt)
    {
        var (_, a, b) = PairwiseJudgePrompt.Read(prompt)!.Value;
        return PairwiseVerdictParser.Parse(a.Length > b.Length ? "[[A]]" : a.Length < b.Length ? "[[B]]" : "[[C]]");
    }

    private static List<PairwiseJudgment> JudgeAll(Func<string, PairwiseVerdict?> judge, Func<int, string> candidate, Func<int, string> baseline) =>
        Questions.Select((q, i) => new PairwiseJudgment(
            judge(PairwiseJudgePrompt.Build(q, candidate(i), baseline(i))),
            judge(PairwiseJudgePrompt.Build(q, baseline(i), candidate(i))))).ToList();

    [Fact]
    public void A_judge_that_always_prefers_position_A_makes_every_verdict_a_tie_with_full_position_bias()
    {
        var judgments = JudgeAll(AlwaysA, i => $"候选回答 {i}，内容较长较长较长", i => $"基线回答 {i}");
        Assert.All(judgments, j => Assert.Equal(PairwiseOutcome.Tie, j.Outcome));
        Assert.All(judgments, j => Assert.True(j.Flipped));

        var summary = PairwiseSummary.Compute(judgments, rounds: 200, seed: 7);
        Assert.Equal((40, 0, 0, 40, 0), (summary.Items, summary.Wins, summary.Losses, summary.Ties, summary.Unjudged));
        Assert.Equal(40, summary.Flipped);
        Assert.Equal(100.0, summary.PositionBiasRate);
        Assert.Equal(50.0, summary.WinRate);
        // Every resample of all-ties has mean ½: the interval collapses onto 50%.
        Assert.Equal((50.0, 50.0), (summary.CiLow, summary.CiHigh));
    }

    [Fact]
    public void A_judge_consistent_across_orders_keeps_its_verdicts_and_shows_no_position_bias()
    {
        // The candidate is longer on questions 0..29, equal on 30..34, shorter on 35..39.
        var judgments = JudgeAll(Longer,
            i => i < 30 ? "很长的候选回答" : i < 35 ? "一样长" : "短",
            i => i < 30 ? "短" : i < 35 ? "一样长" : "很长的基线回答");
        var summary = PairwiseSummary.Compute(judgments, rounds: 500, seed: 3);
        Assert.Equal((30, 5, 5, 0), (summary.Wins, summary.Losses, summary.Ties, summary.Flipped));
        Assert.Equal(0.0, summary.PositionBiasRate);
        Assert.Equal(100.0 * (30 + 5 * 0.5) / 40, summary.WinRate, 12);
        Assert.InRange(summary.WinRate, summary.CiLow, summary.CiHigh);
        Assert.True(summary.CiLow < summary.WinRate && summary.CiHigh > summary.WinRate);
    }

    [Fact]
    public void Unreadable_replies_leave_the_item_unjudged_out_of_the_win_rate()
    {
        var judgments = new List<PairwiseJudgment>
        {
            new(PairwiseVerdict.A, PairwiseVerdict.B),     // candidate wins in both orders
            new(PairwiseVerdict.B, PairwiseVerdict.A),     // baseline wins in both orders
            new(PairwiseVerdict.A, null),                  // second order unreadable
            new(null, null),
            new(PairwiseVerdict.Tie, PairwiseVerdict.B),   // tie one way, win the other: a flip, so a tie
        };
        Assert.Equal([PairwiseOutcome.CandidateWins, PairwiseOutcome.BaselineWins, PairwiseOutcome.Unjudged, PairwiseOutcome.Unjudged, PairwiseOutcome.Tie],
            judgments.Select(j => j.Outcome));
        var summary = PairwiseSummary.Compute(judgments, rounds: 100);
        Assert.Equal((1, 1, 1, 2), (summary.Wins, summary.Losses, summary.Ties, summary.Unjudged));
        Assert.Equal(50.0, summary.WinRate);
        Assert.Equal((1, 3), (summary.Flipped, summary.BothRead));
        Assert.Equal(100.0 / 3, summary.PositionBiasRate, 12);
    }

    [Fact]
    public void Bradley_Terry_over_judged_pairs_orders_models_by_their_pairwise_results()
    {
        var pairs = new List<JudgedPair>();
        void Add(string candidate, string baseline, int wins, int losses, int ties)
        {
            for (var i = 0; i < wins; i++) pairs.Add(new(candidate, baseline, PairwiseOutcome.CandidateWins));
            for (var i = 0; i < losses; i++) pairs.Add(new(candidate, baseline, PairwiseOutcome.BaselineWins));
            for (var i = 0; i < ties; i++) pairs.Add(new(candidate, baseline, PairwiseOutcome.Tie));
            pairs.Add(new(candidate, baseline, PairwiseOutcome.Unjudged));
        }
        Add("strong", "base", 30, 5, 5);
        Add("weak", "base", 8, 25, 7);
        Add("strong", "weak", 20, 10, 10);
        var battles = PairwiseRatings.Battles(pairs);
        Assert.Equal(120, battles.Count); // unjudged items are no battles
        var board = PairwiseRatings.Leaderboard(pairs, rounds: 50, seed: 1);
        Assert.Equal(["strong", "base", "weak"], board.Rows.Select(r => r.Model));
        Assert.True(board.Converged);
        // Two models only: the fitted win probability equals the observed score (ties half), the MLE's defining property.
        var two = PairwiseRatings.Leaderboard(pairs.Where(p => p.Candidate == "strong" && p.Baseline == "base"), rounds: 0);
        var diff = two.Rows[0].Rating - two.Rows[1].Rating;
        Assert.Equal((30 + 2.5) / 40, 1 / (1 + Math.Pow(10, -diff / 400)), 9);
    }
}
