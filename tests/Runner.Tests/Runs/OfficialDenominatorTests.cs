using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Suites;
using Evals.Runner.Runs;

namespace Evals.Runner.Tests.Runs;

/// <summary>
/// A miss is a miss (DESIGN.md): the official scorers divide by every question asked, so unparseable, refused and
/// unjudged items score 0; only error items (the model was never reached) stay out. Expected figures are hand counts.
/// </summary>
public sealed class OfficialDenominatorTests
{
    private static readonly Dictionary<string, double> FourChoices = new() { [ItemDetails.Chance] = 25 };

    private static List<ScoredItem> Items(params (Outcome Outcome, int Count)[] counts) =>
        counts.SelectMany(c => Enumerable.Repeat(c.Outcome, c.Count))
            .Select((o, i) => new ScoredItem(o, o == Outcome.Correct ? 100 : 0, o is Outcome.Correct ? "A" : o is Outcome.Wrong ? "B" : null, "A",
                o == Outcome.Error || o == Outcome.Refused ? new Dictionary<string, double>() : FourChoices, o is Outcome.Unparseable ? "no_answer" : null))
            .ToList();

    [Fact]
    public void Accuracy_counts_unparseable_and_refused_as_misses_and_leaves_errors_out()
    {
        // 30 right, 10 wrong, 6 rambled, 4 refused, 5 never reached: C-Eval's scorer gives 30 / 50 = 60.
        var items = Items((Outcome.Correct, 30), (Outcome.Wrong, 10), (Outcome.Unparseable, 6), (Outcome.Refused, 4), (Outcome.Error, 5));
        var summary = TaskScoring.Summarise("accuracy", "v1", items);
        Assert.Equal(60.0, summary.Score);
        Assert.Equal(50, summary.N);
        Assert.Equal(new Dictionary<string, int> { ["correct"] = 30, ["wrong"] = 10, ["unparseable"] = 6, ["refused"] = 4, ["error"] = 5 }, summary.Outcomes);
        var answered = summary.Metrics![TaskScoring.AnsweredAccuracy];
        Assert.Equal(75.0, answered.Score);
        Assert.Equal(40, answered.N);
        // Normalised against chance 25: (60 − 25) / 75 × 100.
        Assert.Equal(25, summary.Chance);
        Assert.Equal(Math.Round(100 * 35.0 / 75, 4), summary.Normalised);
        Assert.True(summary.CiLow < 60 && summary.CiHigh > 60 && summary.CiHigh - summary.CiLow < 30, $"{summary.CiLow}–{summary.CiHigh}");

        // The leaderboard's counts-only path gives the same figures.
        var counts = TaskScoring.SummariseAccuracyCounts("v1", summary.Outcomes, 25);
        Assert.Equal((60.0, 50, summary.CiLow, summary.CiHigh), (counts.Score, counts.N, counts.CiLow, counts.CiHigh));
        Assert.Equal(answered, counts.Metrics![TaskScoring.AnsweredAccuracy]);
    }

    [Fact]
    public void A_model_that_answers_half_and_rambles_on_the_rest_scores_fifty_not_a_hundred()
    {
        var summary = TaskScoring.Summarise("accuracy", "v1", Items((Outcome.Correct, 20), (Outcome.Unparseable, 20)));
        Assert.Equal(50.0, summary.Score);
        Assert.Equal(100.0, summary.Metrics![TaskScoring.AnsweredAccuracy].Score);
    }

    [Fact]
    public void Nothing_answered_scores_zero_over_every_item_asked()
    {
        var summary = TaskScoring.Summarise("accuracy", "v1", Items((Outcome.Unparseable, 3), (Outcome.Refused, 2)));
        Assert.Equal((0.0, 5), (summary.Score, summary.N));
        Assert.Null(summary.Metrics);
    }

    [Fact]
    public void Only_errors_leave_nothing_to_score()
    {
        var summary = TaskScoring.Summarise("accuracy", "v1", Items((Outcome.Error, 4)));
        Assert.Equal((0.0, 0), (summary.Score, summary.N));
        Assert.Null(summary.Normalised);
    }

    [Fact]
    public void Span_metrics_score_an_unanswered_question_zero()
    {
        // CMRC 2018's script: EM and F1 summed over every question, an unanswered one adding 0.
        ScoredItem Span(Outcome outcome, double em, double f1) => new(outcome, em, "x", "x",
            outcome is Outcome.Correct or Outcome.Wrong ? new Dictionary<string, double> { ["em"] = em, ["f1"] = f1 } : [], null);
        var items = new List<ScoredItem> { Span(Outcome.Correct, 100, 100), Span(Outcome.Wrong, 0, 50), Span(Outcome.Unparseable, 0, 0), Span(Outcome.Error, 0, 0) };
        var summary = TaskScoring.Summarise("em", "v1", items);
        Assert.Equal((100 / 3.0, 3), (summary.Score, summary.N), new RoundedPair());
        Assert.Equal(150 / 3.0, summary.Metrics!["f1"].Score, 3);
        Assert.Equal(3, summary.Metrics["f1"].N);
    }

    [Fact]
    public void Macro_f1_counts_a_missing_answer_as_a_miss_of_its_gold_class()
    {
        // Gold: 正面 正面 负面 负面; predicted: 正面, (none), 负面, 正面.
        // 正面: TP 1, predicted 2, gold 2 → F1 0.5. 负面: TP 1, predicted 1, gold 2 → F1 2/3. Macro: (0.5 + 2/3) / 2.
        var items = new List<ScoredItem>
        {
            new(Outcome.Correct, 100, "正面", "正面", FourChoices, null),
            new(Outcome.Unparseable, 0, null, "正面", FourChoices, "no_answer"),
            new(Outcome.Correct, 100, "负面", "负面", FourChoices, null),
            new(Outcome.Wrong, 0, "正面", "负面", FourChoices, null),
        };
        var summary = TaskScoring.Summarise("macro_f1", "v1", items);
        Assert.Equal(Math.Round(100 * (0.5 + 2.0 / 3) / 2, 4), summary.Score, 3);
        Assert.Equal(4, summary.N);
    }

    [Fact]
    public void Hallucination_rates_divide_by_every_item_asked()
    {
        // HalluQA's script: an invalid judgement is not a pass. 6 passed, 2 hallucinated, 1 unjudged, 1 refused, 1 error.
        HallucinationItem Item(Outcome o) => new("knowledge", false, o, false);
        var items = new[] { (Outcome.Correct, 6), (Outcome.Wrong, 2), (Outcome.Unjudged, 1), (Outcome.Refused, 1), (Outcome.Error, 1) }
            .SelectMany(c => Enumerable.Repeat(Item(c.Item1), c.Item2)).ToList();
        var report = HallucinationReport.Compute(items);
        Assert.Equal((60.0, 10), (report.Overall.NonHallucination.Value, report.Overall.NonHallucination.N));
        Assert.Equal((20.0, 10), (report.Overall.Hallucination.Value, report.Overall.Hallucination.N));
        Assert.Equal(1, report.Overall.Unjudged);
    }

    private sealed class RoundedPair : IEqualityComparer<(double, int)>
    {
        public bool Equals((double, int) x, (double, int) y) => Math.Abs(x.Item1 - y.Item1) < 1e-3 && x.Item2 == y.Item2;
        public int GetHashCode((double, int) obj) => obj.Item2;
    }
}
