using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Statistics;

public class CohensKappaTests
{
    [Fact]
    public void Two_by_two_table_computed_by_hand()
    {
        // yes/yes 20, yes/no 5, no/yes 10, no/no 15 of 50: p_o = 35/50 = 0.7;
        // A says yes 25/50, B says yes 30/50: p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
        Assert.Equal(0.4, CohensKappa.Compute(new[,] { { 20, 5 }, { 10, 15 } }), 12);
    }

    [Fact]
    public void Three_categories_computed_by_hand()
    {
        // n = 19, diagonal 5 + 4 + 3 = 12: p_o = 12/19 = 228/361; rows 7, 7, 5; columns 8, 6, 5;
        // p_e = (7·8 + 7·6 + 5·5) / 361 = 123/361; κ = (228 − 123) / (361 − 123) = 105/238 = 0.441176…
        var table = new[,] { { 5, 1, 1 }, { 2, 4, 1 }, { 1, 1, 3 } };
        Assert.Equal(105.0 / 238, CohensKappa.Compute(table), 12);
    }

    [Fact]
    public void Binary_raters_build_the_same_table()
    {
        // Judge vs human over 10 items: both true 3, judge only 1, human only 2, both false 4.
        bool[] judge = [true, true, true, true, false, false, false, false, false, false];
        bool[] human = [true, true, true, false, true, true, false, false, false, false];
        // p_o = 7/10; judge true 4/10, human true 5/10: p_e = 0.4·0.5 + 0.6·0.5 = 0.5; κ = 0.2/0.5 = 0.4.
        Assert.Equal(0.4, CohensKappa.Compute(judge, human), 12);
    }

    [Fact]
    public void Perfect_agreement_is_one_and_chance_agreement_is_zero()
    {
        Assert.Equal(1.0, CohensKappa.Compute(new[,] { { 7, 0 }, { 0, 3 } }), 12);
        Assert.Equal(0.0, CohensKappa.Compute(new[,] { { 25, 25 }, { 25, 25 } }), 12);
        Assert.True(CohensKappa.Compute(new[,] { { 0, 5 }, { 5, 0 } }) < 0);
    }

    [Fact]
    public void Undefined_when_both_raters_always_give_one_label()
    {
        Assert.True(double.IsNaN(CohensKappa.Compute(new[,] { { 10, 0 }, { 0, 0 } })));
        Assert.True(double.IsNaN(CohensKappa.Compute(new int[2, 2])));
        Assert.Throws<ArgumentException>(() => CohensKappa.Compute([true], [true, false]));
    }
}
