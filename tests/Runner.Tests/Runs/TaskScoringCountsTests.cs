using Evals.Benchmarks.Suites;
using Evals.Runner.Runs;

namespace Evals.Runner.Tests.Runs;

/// <summary>The leaderboard's counts-only accuracy summary must be exactly the run summary's from the items.</summary>
public sealed class TaskScoringCountsTests
{
    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(1, 0, 0, 25)]
    [InlineData(6, 18, 0, 25)]
    [InlineData(37, 12, 1, 25)]
    [InlineData(250, 230, 20, 33.333333)]
    [InlineData(999, 1, 3, 50)]
    public void Counts_give_the_same_score_interval_chance_and_normalised_score_as_the_items(int correct, int wrong, int unparseable, double chance)
    {
        // Items in a shuffled order, as stored results come back (seeded: a failure must be reproducible).
        var shuffle = new Random(correct * 31 + wrong);
        var numbers = new Dictionary<string, double> { [ItemDetails.Chance] = chance };
        var items = Enumerable.Repeat(Outcome.Correct, correct).Concat(Enumerable.Repeat(Outcome.Wrong, wrong)).Concat(Enumerable.Repeat(Outcome.Unparseable, unparseable))
            .Select(o => new ScoredItem(o, o == Outcome.Correct ? 100 : 0, "A", "A", numbers, null))
            .OrderBy(_ => shuffle.Next()).ToList();
        var fromItems = TaskScoring.Summarise("accuracy", "v1", items);
        var outcomes = new Dictionary<string, int> { ["correct"] = correct, ["wrong"] = wrong, ["unparseable"] = unparseable };

        // Twice: the second answer comes from the per-process cache of intervals.
        for (var round = 0; round < 2; round++)
        {
            var fromCounts = TaskScoring.SummariseAccuracyCounts("v1", outcomes, chance);
            Assert.Equal((fromItems.Metric, fromItems.Score, fromItems.N, fromItems.CiLow, fromItems.CiHigh, fromItems.Chance, fromItems.Normalised),
                (fromCounts.Metric, fromCounts.Score, fromCounts.N, fromCounts.CiLow, fromCounts.CiHigh, fromCounts.Chance, fromCounts.Normalised));
            Assert.Equal(fromItems.Outcomes, fromCounts.Outcomes);
        }
    }
}
