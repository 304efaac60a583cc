using Evals.Benchmarks.Suites;
using Evals.Runner.Runs;

namespace Evals.Runner.Tests.Runs;

/// <summary>The per-group breakdown of a task's score (CMATH's grade), counted by hand.</summary>
public sealed class TaskScoringBreakdownTests
{
    private static ScoredItem Item(Outcome outcome, string? group) =>
        new(outcome, outcome == Outcome.Correct ? 100 : 0, "1", "1", new Dictionary<string, double>(), "answer_phrase", Group: group);

    [Fact]
    public void Each_group_scores_its_own_asked_items_and_errors_stay_out()
    {
        // grade 1: 3 right of 4 (one unparseable); grade 2: 1 right of 2, plus one error left out; grade 10 sorts as text.
        var items = new[]
        {
            Item(Outcome.Correct, "1"), Item(Outcome.Correct, "1"), Item(Outcome.Correct, "1"), Item(Outcome.Unparseable, "1"),
            Item(Outcome.Correct, "2"), Item(Outcome.Wrong, "2"), Item(Outcome.Error, "2"),
            Item(Outcome.Wrong, "10"),
        };
        var summary = TaskScoring.Summarise("accuracy", "v1", items);
        Assert.Equal(100.0 * 4 / 7, summary.Score, 3);
        Assert.Equal(["1", "10", "2"], summary.Breakdown!.Keys);
        Assert.Equal((75.0, 4), (summary.Breakdown["1"].Score, summary.Breakdown["1"].N));
        Assert.Equal((50.0, 2), (summary.Breakdown["2"].Score, summary.Breakdown["2"].N));
        Assert.Equal((0.0, 1), (summary.Breakdown["10"].Score, summary.Breakdown["10"].N));
        Assert.True(summary.Breakdown["1"].CiLow <= 75 && 75 <= summary.Breakdown["1"].CiHigh);
    }

    [Fact]
    public void Items_without_a_group_give_no_breakdown() =>
        Assert.Null(TaskScoring.Summarise("accuracy", "v1", [Item(Outcome.Correct, null), Item(Outcome.Wrong, null)]).Breakdown);
}
