using Evals.Benchmarks.Statistics;
using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Metrics;

/// <summary>A task's score on the 0–100 scale with its 95% interval and the count of every outcome.</summary>
public sealed record TaskScore(string Metric, double Score, int N, double CiLow, double CiHigh, IReadOnlyDictionary<string, int> Outcomes);

/// <summary>
/// Accuracy over every item the model was asked: a miss is a miss, so unparseable and refused items count as not correct,
/// as the official scorers count them; error items (the model was never reached) stay out and make the run incomplete
/// (DESIGN.md "Outcome of an item"). Higher is better; tasks aggregate by unweighted mean.
/// </summary>
public static class Accuracy
{
    public const string Name = "accuracy";

    public static readonly MetricInfo Info = new(Name, Aggregation.Mean, HigherIsBetter: true,
        "share of correct answers among all items asked (unparseable and refused answers count as misses)");

    public static TaskScore Compute(IEnumerable<Outcome> outcomes)
    {
        var counts = Enum.GetValues<Outcome>().ToDictionary(o => o.ToName(), _ => 0);
        foreach (var outcome in outcomes) counts[outcome.ToName()]++;
        var correct = counts["correct"];
        var n = counts.Where(c => c.Key != "error").Sum(c => c.Value);
        var (low, high) = WilsonInterval.Compute(correct, n);
        var score = n == 0 ? 0 : Math.Round(100.0 * correct / n, 4);
        return new TaskScore(Name, score, n, Math.Round(low, 4), Math.Round(high, 4), counts);
    }

    /// <summary>The unweighted mean of task scores, as C-Eval and CMMLU average over subjects.</summary>
    public static double Overall(IEnumerable<TaskScore> tasks)
    {
        var scored = tasks.Where(t => t.N > 0).Select(t => t.Score).ToList();
        return scored.Count == 0 ? 0 : Math.Round(scored.Average(), 4);
    }
}
