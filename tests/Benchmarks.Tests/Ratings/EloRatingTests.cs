using Evals.Benchmarks.Ratings;

namespace Evals.Benchmarks.Tests.Ratings;

public class EloRatingTests
{
    [Fact]
    public void First_battle_moves_both_models_by_half_of_K()
    {
        // Equal ratings: E = 1/2, so the winner gains K/2 = 2 and the loser loses 2.
        var elo = EloRating.Compute([new Battle("A", "B", BattleWinner.ModelA)]);
        Assert.Equal(1002, elo["A"], 12);
        Assert.Equal(998, elo["B"], 12);
    }

    [Fact]
    public void Three_battle_sequence_matches_FastChat_compute_elo()
    {
        // Reference: FastChat compute_elo's update, K=4, scale 400, base 10, init 1000, evaluated in Python 3.11
        // (repr of the floats); by hand: after 1, A=1002, B=998; battle 2 (tie) moves B up by
        // 4(1/2 − 1/(1+10^(2/400))) = 0.011513 and C down as much; battle 3 (A wins as model_b) moves A up by 1.98842.
        Battle[] battles =
        [
            new("A", "B", BattleWinner.ModelA),
            new("B", "C", BattleWinner.Tie),
            new("C", "A", BattleWinner.ModelB),
        ];
        var elo = EloRating.Compute(battles);
        Assert.Equal(["A", "B", "C"], elo.Models);
        Assert.Equal(1003.9884209309151, elo["A"], 10);
        Assert.Equal(998.0115127982992, elo["B"], 10);
        Assert.Equal(998.0000662707856, elo["C"], 10);
        Assert.Equal(3000, elo.Ratings.Sum(), 9); // each update is zero-sum
    }

    [Fact]
    public void Bothbad_tie_counts_as_tie_and_K_is_a_parameter()
    {
        Battle[] battles =
        [
            new("A", "B", BattleWinner.ModelA),
            new("B", "C", BattleWinner.TieBothBad),
            new("C", "A", BattleWinner.ModelB),
            new("A", "C", BattleWinner.ModelB),
        ];
        var elo = EloRating.Compute(battles, k: 32);
        Assert.Equal(1013.0696736601195, elo["A"], 9);
        Assert.Equal(984.736306793522, elo["B"], 9);
        Assert.Equal(1002.1940195463584, elo["C"], 9);
    }

    [Fact]
    public void Order_of_battles_matters()
    {
        Battle[] battles = [new("A", "B", BattleWinner.ModelA), new("A", "B", BattleWinner.ModelB)];
        var forward = EloRating.Compute(battles);
        var backward = EloRating.Compute(battles.Reverse().ToArray());
        Assert.True(forward["A"] < 1000); // lost the second game as favourite
        Assert.True(backward["A"] > 1000);
    }

    [Fact]
    public void Winner_strings_parse_as_in_arena_files()
    {
        Assert.Equal(BattleWinner.ModelA, Battle.ParseWinner("model_a"));
        Assert.Equal(BattleWinner.ModelB, Battle.ParseWinner("model_b"));
        Assert.Equal(BattleWinner.Tie, Battle.ParseWinner("tie"));
        Assert.Equal(BattleWinner.TieBothBad, Battle.ParseWinner("tie (bothbad)"));
        Assert.Throws<FormatException>(() => Battle.ParseWinner("draw"));
        foreach (var winner in Enum.GetValues<BattleWinner>())
            Assert.Equal(winner, Battle.ParseWinner(Battle.FormatWinner(winner)));
    }

    [SharedDatasetsFact("prd_vicuna80_pairwise")]
    public void Prd_vicuna80_human_votes_match_the_Python_reference()
    {
        var dir = SharedDatasets.Get("prd_vicuna80_pairwise");
        var battles = SharedData.LoadPrdVicunaBattles(dir);
        Assert.Equal(7040, battles.Count);
        var elo = EloRating.Compute(battles);
        // FastChat compute_elo's loop re-typed in Python 3.11 over the same battles in the same order (files sorted by
        // name, lines in file order): Ratings/Reference/prd_vicuna80_reference.py.
        Assert.Equal(1103.933646912314, elo["claude"], 8);
        Assert.Equal(1084.3578117427226, elo["gpt4"], 8);
        Assert.Equal(1019.7176042026492, elo["guanaco-33b"], 8);
        Assert.Equal(1004.6996704698242, elo["vicuna-13b"], 8);
        Assert.Equal(1000.6943307844372, elo["guanaco-65b"], 8);
        Assert.Equal(978.9792738325423, elo["guanaco-7b"], 8);
        Assert.Equal(945.4667959287589, elo["guanaco-13b"], 8);
        Assert.Equal(940.0726133170926, elo["gpt35"], 8);
        Assert.Equal(922.0782528096615, elo["bard"], 8);
    }
}
