using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class AurocTests
{
    [Fact]
    public void Scikit_learn_documentation_example()
    {
        // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75: of the 4 positive/negative pairs, (0.35, 0.4) is the one misordered.
        Assert.Equal(0.75, Auroc.Compute([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
    }

    [Fact]
    public void A_tie_between_a_positive_and_a_negative_counts_one_half()
    {
        // Positives 0.5, 0.9; negatives 0.5, 0.2. Pairs: (0.5, 0.5) tie ½, (0.5, 0.2) 1, (0.9, 0.5) 1, (0.9, 0.2) 1 → 3.5 / 4.
        Assert.Equal(0.875, Auroc.Compute([0.5, 0.5, 0.2, 0.9], [true, false, false, true]), 12);
    }

    [Fact]
    public void Ties_within_a_class_do_not_matter()
    {
        // Positives 0.7, 0.7, 0.3; negatives 0.3, 0.1. Pairs: 0.7 beats both (×2 = 4), 0.3 ties 0.3 (½) and beats 0.1 (1) → 5.5 / 6.
        Assert.Equal(5.5 / 6, Auroc.Compute([0.7, 0.3, 0.7, 0.3, 0.1], [true, true, true, false, false]), 12);
    }

    [Fact]
    public void All_scores_equal_is_one_half_and_perfect_orders_are_one_and_zero()
    {
        Assert.Equal(0.5, Auroc.Compute([1, 1, 1, 1], [true, false, true, false]), 12);
        Assert.Equal(1.0, Auroc.Compute([0.9, 0.8, 0.2, 0.1], [true, true, false, false]), 12);
        Assert.Equal(0.0, Auroc.Compute([0.9, 0.8, 0.2, 0.1], [false, false, true, true]), 12);
    }

    [Fact]
    public void Undefined_with_one_class_and_refuses_mismatched_input()
    {
        Assert.True(double.IsNaN(Auroc.Compute([0.1, 0.2], [true, true])));
        Assert.Throws<ArgumentException>(() => Auroc.Compute([0.1], [true, false]));
        Assert.Throws<ArgumentException>(() => Auroc.Compute([double.NaN, 0.2], [true, false]));
    }

    [Fact]
    public void Equals_the_pairwise_definition_on_random_data_with_many_ties()
    {
        var random = new Random(7);
        var scores = Enumerable.Range(0, 300).Select(_ => (double)random.Next(10)).ToArray();
        var labels = scores.Select(s => random.NextDouble() < 0.2 + s / 15).ToArray();
        double wins = 0, pairs = 0;
        for (var i = 0; i < scores.Length; i++)
            for (var j = 0; j < scores.Length; j++)
                if (labels[i] && !labels[j])
                {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
        Assert.Equal(wins / pairs, Auroc.Compute(scores, labels), 12);
    }
}
