using Evals.Benchmarks.Statistics;
using Evals.Benchmarks.Suites;
using Evals.Runner.Runs;

namespace Evals.Runner.Tests.Runs;

/// <summary>The overall score's stratified-bootstrap interval, carried through chance normalisation and the roll-up.</summary>
public sealed class OverallIntervalTests
{
    private static readonly CapabilityTree Tree = new([
        new Capability("理解", "understanding", ["s/four", "s/two"]),
        new Capability("问答", "qa", ["s/span"]),
    ]);

    [Fact]
    public void The_interval_covers_the_true_overall_at_its_nominal_rate_over_500_simulated_runs()
    {
        // Three tasks of 200 items: 4-way choice (p = .55, chance 25), 2-way (p = .7, chance 50), and a graded span score
        // (F1-like: 0 with probability .3, else uniform on [40, 100], mean .7 × 70 = 49). True overall, by hand:
        // 理解 = ((55 − 25) / 75 × 100 + (70 − 50) / 50 × 100) / 2 = (40 + 40) / 2 = 40; 问答 = 49; overall = 44.5.
        const double truth = 44.5;
        const int runs = 500, n = 200;
        var covered = 0;
        for (var run = 0; run < runs; run++)
        {
            var rng = SeededRandom.ForStream(2026, run);
            var tasks = new[]
            {
                Simulate("s/four", n, 25, ref rng, r => r.NextDouble() < 0.55 ? 100 : 0),
                Simulate("s/two", n, 50, ref rng, r => r.NextDouble() < 0.70 ? 100 : 0),
                Simulate("s/span", n, 0, ref rng, r => r.NextDouble() < 0.3 ? 0 : 40 + 60 * r.NextDouble()),
            };
            var interval = CapabilityScores.OverallInterval(Tree, tasks)!.Value;
            if (interval.Low <= truth && truth <= interval.High) covered++;
        }
        // Nominal 95%; the bar is ±3 points.
        Assert.InRange(100.0 * covered / runs, 92, 98);
    }

    [Fact]
    public void The_interval_brackets_the_overall_and_follows_the_reference_normalisation()
    {
        var rng = SeededRandom.ForStream(7, 0);
        var tasks = new[]
        {
            Simulate("s/four", 300, 25, ref rng, r => r.NextDouble() < 0.6 ? 100 : 0),
            Simulate("s/two", 300, 50, ref rng, r => r.NextDouble() < 0.8 ? 100 : 0),
            Simulate("s/span", 300, 0, ref rng, r => 100 * r.NextDouble()),
        };
        var scores = CapabilityScores.Compute(Tree, tasks.Select(t => (t.Item1, t.Item2, t.Item3)));
        var chance = CapabilityScores.OverallInterval(Tree, tasks)!.Value;
        Assert.InRange(scores.Overall!.Value, chance.Low, chance.High);

        // Relative to a reference scoring half of every task, every task is 200.
        var reference = new ReferenceScores(Guid.NewGuid(), "ref", tasks.ToDictionary(t => t.Item1, t => (t.Item3.Score / 2, t.Item3.Version)));
        var relative = CapabilityScores.Compute(Tree, tasks.Select(t => (t.Item1, t.Item2, t.Item3)), reference);
        var interval = CapabilityScores.OverallInterval(Tree, tasks, reference)!.Value;
        Assert.Equal(200, relative.Overall!.Value, 3);
        // Relative to the run itself every task is 100; against half of it, 200: the same resamples, scaled by two.
        var self = CapabilityScores.OverallInterval(Tree, tasks,
            new ReferenceScores(Guid.NewGuid(), "self", tasks.ToDictionary(t => t.Item1, t => (t.Item3.Score, t.Item3.Version))))!.Value;
        Assert.InRange(100, self.Low, self.High);
        var raw = self;
        Assert.Equal(2 * raw.Low, interval.Low, 2);
        Assert.Equal(2 * raw.High, interval.High, 2);
        Assert.True(interval.High - interval.Low > 1, $"a real interval, not a point: {interval}");
    }

    private static (string, TaskManifest, TaskSummary, double[]) Simulate(string name, int n, double chance, ref SeededRandom rng, Func<SeededRandomBox, double> draw)
    {
        var box = new SeededRandomBox(rng);
        var numbers = new Dictionary<string, double> { [ItemDetails.Chance] = chance };
        var metric = chance == 0 ? "f1" : "accuracy";
        var items = Enumerable.Range(0, n).Select(_ =>
        {
            var value = draw(box);
            var outcome = value > 0 ? Outcome.Correct : Outcome.Wrong;
            return new ScoredItem(outcome, value, "x", "x", chance == 0 ? new Dictionary<string, double> { ["f1"] = value } : numbers, null);
        }).ToList();
        rng = box.Rng;
        var manifest = new TaskManifest { Name = name[2..], Kind = "multiple_choice", Files = [], AnswerField = "a", Template = "{q}", Metric = metric };
        var summary = TaskScoring.Summarise(metric, "v1", items);
        return (name, manifest, summary, TaskScoring.Replicates(metric, items, summary, TaskScoring.SeedOf(name)));
    }

    /// <summary>A seeded stream that lambdas can draw from (a ref struct parameter cannot be captured).</summary>
    private sealed class SeededRandomBox(SeededRandom rng)
    {
        public SeededRandom Rng = rng;
        public double NextDouble() => Rng.NextDouble();
    }
}
