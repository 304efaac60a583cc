using Evals.Benchmarks.Experiments;

namespace Evals.Benchmarks.Tests.Experiments;

public class VariantComparisonTests
{
    private static double[] Items(int n, int correct) => Enumerable.Range(0, n).Select(i => i < correct ? 100.0 : 0.0).ToArray();
    private static readonly string[] Keys = Enumerable.Range(0, 500).Select(i => $"k{i:D3}").ToArray();

    [Fact]
    public void A_winner_only_when_it_beats_every_other_variant_significantly()
    {
        var a = Items(500, 300);
        var b = Items(500, 375);   // +15 points over A, on the same items
        var c = Items(500, 302);   // +0.4 points: noise
        var report = VariantComparison.Compare(["A", "B", "C"], [new VariantTask("synth/t", "accuracy", Keys, [a, b, c])], rounds: 2000);
        Assert.Equal("B", report.Winner);
        var ba = report.Pairs.Single(p => p.First == "B" && p.Second == "A");
        Assert.True(ba.Significant);
        Assert.Equal(15, ba.Overall.Difference, 10);
        Assert.False(report.Pairs.Single(p => p.First == "C" && p.Second == "A").Significant);
        Assert.Equal(75, report.Disagreements.Count); // items 300..374 differ between the variants
        Assert.Equal([0.0, 100.0, 0.0], report.Disagreements.First(d => d.Key == "k350").Scores);
        var aScore = report.Scores.Single(s => s.Variant == "A" && s.Task == "synth/t");
        Assert.Equal(60, aScore.Score, 10);
        Assert.True(aScore.CiLow < 60 && aScore.CiHigh > 60);
    }

    [Fact]
    public void No_winner_within_noise()
    {
        // 4 items better, none worse: McNemar's exact p = 0.125 (the bootstrap alone would say about 0.04).
        var report = VariantComparison.Compare(["A", "B"], [new VariantTask("synth/t", "accuracy", Keys, [Items(500, 300), Items(500, 304)])], rounds: 2000);
        Assert.Null(report.Winner);
        Assert.StartsWith("no winner", report.Verdict);
    }
}
