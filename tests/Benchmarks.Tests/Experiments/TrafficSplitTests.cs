using Evals.Benchmarks.Experiments;

namespace Evals.Benchmarks.Tests.Experiments;

public class TrafficSplitTests
{
    private static readonly WeightedVariant[] Weights = [new("A", 50), new("B", 30), new("C", 20)];

    [Fact]
    public void One_hundred_thousand_users_split_within_one_percent_of_the_weights_and_keep_their_variant()
    {
        var counts = new Dictionary<string, int> { ["A"] = 0, ["B"] = 0, ["C"] = 0 };
        for (var u = 0; u < 100_000; u++)
        {
            var user = $"user-{u}";
            var variant = TrafficSplit.Assign("exp-salt", user, Weights);
            counts[variant]++;
            if (u % 97 == 0) Assert.Equal(variant, TrafficSplit.Assign("exp-salt", user, Weights));
        }
        Assert.InRange(counts["A"] / 100_000.0, 0.49, 0.51);
        Assert.InRange(counts["B"] / 100_000.0, 0.29, 0.31);
        Assert.InRange(counts["C"] / 100_000.0, 0.19, 0.21);
    }

    [Fact]
    public void Assignment_depends_only_on_salt_user_and_weights()
    {
        // Pinned: SHA-256 based, so the same on every node, runtime and restart.
        var first = Enumerable.Range(0, 50).Select(u => TrafficSplit.Assign("s", $"u{u}", Weights)).ToList();
        var again = Enumerable.Range(0, 50).Select(u => TrafficSplit.Assign("s", $"u{u}", [new("A", 5), new("B", 3), new("C", 2)])).ToList();
        Assert.Equal(first, again); // the same shares on another scale are the same weights
        var otherSalt = Enumerable.Range(0, 50).Select(u => TrafficSplit.Assign("t", $"u{u}", Weights)).ToList();
        Assert.NotEqual(first, otherSalt);
    }

    [Theory]
    [InlineData("A", 0, "weight 0 must be a positive number")]
    [InlineData("A", double.NaN, "must be a positive number")]
    [InlineData("", 1, "blank")]
    [InlineData("B", 1, "declared twice")]
    public void Bad_variants_are_rejected_naming_the_problem(string name, double weight, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => TrafficSplit.Validate([new("B", 1), new(name, weight)]));
        Assert.Contains(message, e.Message);
    }
}
