using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

/// <summary>The gate on synthetic paired scores whose truth is known by construction.</summary>
public class RegressionGateTests
{
    /// <summary>n items, the first <paramref name="correct"/> right (100) and the rest wrong (0).</summary>
    private static double[] Items(int n, int correct) => Enumerable.Range(0, n).Select(i => i < correct ? 100.0 : 0.0).ToArray();

    /// <summary>A copy with <paramref name="lost"/> correct items made wrong and <paramref name="gained"/> wrong items made right.</summary>
    private static double[] Flip(double[] scores, int lost, int gained)
    {
        var copy = scores.ToArray();
        for (int i = 0, done = 0; i < copy.Length && done < lost; i++)
            if (copy[i] == 100) { copy[i] = 0; done++; }
        for (int i = copy.Length - 1, done = 0; i >= 0 && done < gained; i--)
            if (copy[i] == 0) { copy[i] = 100; done++; }
        return copy;
    }

    private static List<PairedTask> Suite(double[] bigCandidate)
    {
        var small = Items(200, 120);
        var other = Items(300, 150);
        var big = Items(500, 350);
        return
        [
            new PairedTask("synth/small", "accuracy", small, small.ToArray()),
            new PairedTask("synth/other", "accuracy", Flip(other, 3, 3), other),
            new PairedTask("synth/big", "accuracy", bigCandidate, big),
        ];
    }

    [Fact]
    public void Identical_candidate_passes()
    {
        var big = Items(500, 350);
        var result = RegressionGate.Evaluate(Suite(big), new GateOptions());
        Assert.True(result.Passed);
        Assert.All(result.Checks, c => Assert.Equal(0, c.Drop, 10));
        Assert.All(result.Checks, c => Assert.Equal("unchanged", c.Reason));
    }

    [Fact]
    public void Ten_points_worse_on_one_task_of_500_items_fails_naming_that_task()
    {
        // 60 items lost and 10 gained: net −50 of 500 = −10 points, with discordant pairs both ways as real checkpoints show.
        var result = RegressionGate.Evaluate(Suite(Flip(Items(500, 350), 60, 10)), new GateOptions());
        Assert.False(result.Passed);
        var failure = Assert.Single(result.Failures, f => f.Name != "overall");
        Assert.Equal("synth/big", failure.Name);
        Assert.Equal(10, failure.Drop, 10);
        Assert.Equal(McNemarMethod.ChiSquareCorrected, failure.Comparison.McNemar!.Method);
        Assert.Equal((10, 60), (failure.Comparison.McNemar.B, failure.Comparison.McNemar.C));
        Assert.True(failure.Comparison.CiHigh < 0);
        Assert.Contains("dropped 10 points", failure.Reason);
        // The overall score (mean of three tasks) drops by 10/3 points, also significantly.
        Assert.True(result.Overall.Failed, result.Overall.Reason);
        Assert.Equal(10.0 / 3, result.Overall.Drop, 6);
        Assert.DoesNotContain(result.Tasks, t => t.Failed && t.Name != "synth/big");
    }

    [Fact]
    public void Half_a_point_worse_is_noise_and_passes()
    {
        var scores = Flip(Items(400, 280), 12, 10); // net −2 of 400 = −0.5 points
        var result = RegressionGate.Evaluate([new PairedTask("synth/big", "accuracy", scores, Items(400, 280))], new GateOptions());
        Assert.True(result.Passed);
        Assert.Equal(0.5, result.Tasks[0].Drop, 10);
        Assert.Contains("within the allowed", result.Tasks[0].Reason);
    }

    [Fact]
    public void A_drop_beyond_the_allowance_that_is_not_significant_passes()
    {
        // 50 items, 2 lost: 4 points, far beyond 1 allowed, but McNemar exact p = 0.5.
        var baseline = Items(50, 30);
        var result = RegressionGate.Evaluate([new PairedTask("synth/tiny", "accuracy", Flip(baseline, 2, 0), baseline)], new GateOptions());
        Assert.True(result.Passed);
        Assert.Equal(0.5, result.Tasks[0].Comparison.McNemar!.PValue, 12);
        Assert.Contains("within noise", result.Tasks[0].Reason);
    }

    [Fact]
    public void A_significant_drop_within_the_allowance_passes()
    {
        // 10,000 items, 150 lost: 1.5 points and p far below 0.05, but 2 points are allowed for this task.
        var baseline = Items(10_000, 7_000);
        var options = new GateOptions(TaskMaxDrop: new Dictionary<string, double> { ["synth/huge"] = 2 }, OverallMaxDrop: 2);
        var result = RegressionGate.Evaluate([new PairedTask("synth/huge", "accuracy", Flip(baseline, 150, 0), baseline)], options);
        Assert.True(result.Passed);
        Assert.True(result.Tasks[0].Significant);
        var strict = RegressionGate.Evaluate([new PairedTask("synth/huge", "accuracy", Flip(baseline, 150, 0), baseline)], new GateOptions());
        Assert.False(strict.Passed);
    }

    [Fact]
    public void Graded_scores_use_the_paired_bootstrap()
    {
        var random = new SeededRandom(7);
        var baseline = Enumerable.Range(0, 400).Select(_ => random.NextDouble() * 100).ToArray();
        var candidate = baseline.Select(s => Math.Max(0, s - 20)).ToArray();
        var result = RegressionGate.Evaluate([new PairedTask("synth/f1", "f1", candidate, baseline)], new GateOptions(Rounds: 2000));
        Assert.Null(result.Tasks[0].Comparison.McNemar);
        Assert.Equal(PairedComparison.BootstrapTest, result.Tasks[0].Comparison.Test);
        Assert.False(result.Passed);
    }

    [Fact]
    public void The_overall_bootstrap_of_one_task_is_that_tasks_bootstrap()
    {
        var baseline = Items(300, 200);
        var task = new PairedTask("synth/one", "accuracy", Flip(baseline, 20, 5), baseline);
        var (tasks, overall) = PairedComparison.All([task], rounds: 2000, seed: 3);
        Assert.Equal(tasks[0].CiLow, overall.CiLow, 10);
        Assert.Equal(tasks[0].CiHigh, overall.CiHigh, 10);
        Assert.Equal(tasks[0].BootstrapP, overall.BootstrapP, 10);
        Assert.Equal(tasks[0].PValue, overall.PValue, 10); // one binary task: the overall test is the task's McNemar
    }

    [Fact]
    public void Holm_matches_R_p_adjust()
    {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") → 0.03 0.06 0.06 0.02
        var adjusted = Holm.Adjust([0.01, 0.04, 0.03, 0.005]);
        Assert.Equal([0.03, 0.06, 0.06, 0.02], adjusted.Select(p => Math.Round(p, 12)));
        Assert.Equal([1.0, 1.0], Holm.Adjust([0.6, 0.9]));
    }
}
