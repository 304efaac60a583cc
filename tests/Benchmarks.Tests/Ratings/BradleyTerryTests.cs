using Evals.Benchmarks.Ratings;
using Evals.Benchmarks.Statistics;
using Xunit.Abstractions;

namespace Evals.Benchmarks.Tests.Ratings;

public class BradleyTerryTests(ITestOutputHelper output)
{
    private static IEnumerable<Battle> Repeat(string a, string b, BattleWinner winner, int times) =>
        Enumerable.Repeat(new Battle(a, b, winner), times);

    [Fact]
    public void Two_models_have_the_closed_form_difference_400_log10_of_the_win_ratio()
    {
        // With two models the MLE sets P(A beats B) to the observed share, so R_A − R_B = 400 log10(wins_A / wins_B);
        // FastChat's solver keeps the mean at 1000.
        var battles = Repeat("A", "B", BattleWinner.ModelA, 20)
            .Concat(Repeat("B", "A", BattleWinner.ModelB, 10)) // A wins from seat B too
            .Concat(Repeat("A", "B", BattleWinner.ModelB, 10))
            .ToList();
        var fit = BradleyTerry.Fit(battles);
        Assert.True(fit.Converged);
        var difference = 400 * Math.Log10(30.0 / 10.0); // 190.848501887865
        Assert.Equal(1000 + difference / 2, fit.Ratings["A"], 9);
        Assert.Equal(1000 - difference / 2, fit.Ratings["B"], 9);
        Assert.Equal(1095.4242509439325, fit.Ratings["A"], 9);
    }

    [Fact]
    public void Ties_count_as_half_a_win_each_way()
    {
        // 30 wins, 10 losses, 5 ties: FastChat's weights are 2·30 + 5 = 65 against 2·10 + 5 = 25.
        var battles = Repeat("A", "B", BattleWinner.ModelA, 30)
            .Concat(Repeat("A", "B", BattleWinner.ModelB, 10))
            .Concat(Repeat("A", "B", BattleWinner.Tie, 3))
            .Concat(Repeat("B", "A", BattleWinner.TieBothBad, 2))
            .ToList();
        var fit = BradleyTerry.Fit(battles);
        Assert.Equal(400 * Math.Log10(65.0 / 25.0), fit.Ratings["A"] - fit.Ratings["B"], 9);
    }

    [Fact]
    public void Anchor_model_is_placed_at_the_anchor_rating()
    {
        var battles = Repeat("A", "B", BattleWinner.ModelA, 30).Concat(Repeat("A", "B", BattleWinner.ModelB, 10)).ToList();
        var fit = BradleyTerry.Fit(battles, new BradleyTerryOptions(AnchorModel: "B", AnchorRating: 1114));
        Assert.Equal(1114, fit.Ratings["B"], 9);
        Assert.Equal(1114 + 400 * Math.Log10(3), fit.Ratings["A"], 9);
        // An anchor that did not play changes nothing.
        var unanchored = BradleyTerry.Fit(battles, new BradleyTerryOptions(AnchorModel: "mixtral-8x7b-instruct-v0.1"));
        Assert.Equal(1000, unanchored.Ratings.Ratings.Average(), 9);
    }

    [Fact]
    public void Balanced_cycle_gives_equal_ratings()
    {
        var battles = Repeat("A", "B", BattleWinner.ModelA, 2).Concat(Repeat("A", "B", BattleWinner.ModelB, 1))
            .Concat(Repeat("B", "C", BattleWinner.ModelA, 2)).Concat(Repeat("B", "C", BattleWinner.ModelB, 1))
            .Concat(Repeat("C", "A", BattleWinner.ModelA, 2)).Concat(Repeat("C", "A", BattleWinner.ModelB, 1))
            .ToList();
        var fit = BradleyTerry.Fit(battles);
        foreach (var rating in fit.Ratings.Ratings) Assert.Equal(1000, rating, 9);
    }

    [Fact]
    public void Gradient_is_zero_at_the_fit_for_many_models()
    {
        var battles = Synthetic([1250, 1150, 1100, 1000, 960, 900, 800], 3000, seed: 11);
        var fit = BradleyTerry.Fit(battles);
        Assert.True(fit.Converged);
        Assert.InRange(fit.Iterations, 1, 20);
        foreach (var g in BradleyTerry.LogLikelihoodGradient(battles, fit.Ratings)) Assert.InRange(g, -1e-9, 1e-9);
        Assert.Equal(1000, fit.Ratings.Ratings.Average(), 9);
        // Moving any rating away from the fit lowers the likelihood: the gradient there is not zero.
        var moved = fit.Ratings.Ratings.ToArray();
        moved[0] += 5;
        var g0 = BradleyTerry.LogLikelihoodGradient(battles, new RatingTable(fit.Ratings.Models, moved))[0];
        Assert.True(g0 < -1e-3, $"gradient {g0}");
    }

    [Fact]
    public void Agrees_with_minorize_maximize_on_a_synthetic_set()
    {
        var battles = Synthetic([1250, 1150, 1100, 1000, 960, 900, 800], 3000, seed: 12);
        var fit = BradleyTerry.Fit(battles);
        var mm = MinorizeMaximize(battles);
        foreach (var model in fit.Ratings.Models) Assert.Equal(mm[model], fit.Ratings[model], 6);
    }

    [Fact]
    public void Disconnected_groups_are_each_centred_on_the_initial_rating()
    {
        var battles = Repeat("A", "B", BattleWinner.ModelA, 3).Concat(Repeat("A", "B", BattleWinner.ModelB, 1))
            .Concat(Repeat("C", "D", BattleWinner.ModelA, 1)).Concat(Repeat("C", "D", BattleWinner.ModelB, 4))
            .ToList();
        var fit = BradleyTerry.Fit(battles);
        Assert.True(fit.Converged);
        Assert.Equal(2000, fit.Ratings["A"] + fit.Ratings["B"], 9);
        Assert.Equal(2000, fit.Ratings["C"] + fit.Ratings["D"], 9);
        Assert.Equal(400 * Math.Log10(4), fit.Ratings["D"] - fit.Ratings["C"], 9);
    }

    [Fact]
    public void A_model_that_never_loses_is_reported_as_not_converged()
    {
        var battles = Repeat("A", "B", BattleWinner.ModelA, 5).Concat(Repeat("B", "C", BattleWinner.ModelA, 3))
            .Concat(Repeat("B", "C", BattleWinner.ModelB, 2)).ToList();
        var fit = BradleyTerry.Fit(battles);
        Assert.False(fit.Converged);
        Assert.True(fit.Ratings["A"] > fit.Ratings["B"] + 1000);
    }

    [Fact]
    public void Recovers_known_ratings_within_its_intervals()
    {
        // 15 synthetic arenas drawn from known ratings: the 75 intervals at 95% should cover the truth about 71 times
        // (binomial sd ≈ 1.9), the point fit should be unbiased, and the order should come out right.
        double[] truth = [1200, 1100, 1050, 1000, 900];
        var centre = truth.Average() - 1000; // the fit's mean is 1000
        int covered = 0, intervals = 0, rightOrder = 0;
        double error = 0;
        for (var arena = 0; arena < 15; arena++)
        {
            var board = BradleyTerry.Leaderboard(Synthetic(truth, 3000, seed: 1000 + arena), rounds: 100, seed: arena);
            Assert.True(board.Converged);
            foreach (var row in board.Rows)
            {
                var expected = truth[int.Parse(row.Model[1..])] - centre;
                intervals++;
                if (expected >= row.CiLow && expected <= row.CiHigh) covered++;
                error += row.Rating - expected;
            }
            if (board.Rows.Select(r => r.Model).SequenceEqual(["m0", "m1", "m2", "m3", "m4"])) rightOrder++;
        }
        output.WriteLine($"covered {covered}/{intervals}, mean error {error / intervals:F2}, right order {rightOrder}/15");
        Assert.InRange(covered, 64, 75);
        Assert.InRange(error / intervals, -3, 3);
        Assert.InRange(rightOrder, 10, 15);
    }

    [Fact]
    public void Leaderboard_is_deterministic_for_a_seed_whatever_the_threads()
    {
        var battles = Synthetic([1100, 1050, 1000, 990, 900], 2000, seed: 3);
        var one = BradleyTerry.Leaderboard(battles, rounds: 60, seed: 99, maxDegreeOfParallelism: 1);
        var many = BradleyTerry.Leaderboard(battles, rounds: 60, seed: 99, maxDegreeOfParallelism: 4);
        var other = BradleyTerry.Leaderboard(battles, rounds: 60, seed: 100);
        Assert.Equal(one.Rows, many.Rows);
        Assert.NotEqual(one.Rows, other.Rows);
        Assert.Equal(one.Rows.Select(r => r.Rating), other.Rows.Select(r => r.Rating)); // the point fit has no randomness
    }

    [Fact]
    public void Rank_ranges_follow_interval_overlap()
    {
        // Two close models on top, one far below: the top two share ranks 1–2, the third is 3–3.
        var battles = Repeat("A", "B", BattleWinner.ModelA, 50).Concat(Repeat("A", "B", BattleWinner.ModelB, 48))
            .Concat(Repeat("A", "C", BattleWinner.ModelA, 90)).Concat(Repeat("A", "C", BattleWinner.ModelB, 10))
            .Concat(Repeat("B", "C", BattleWinner.ModelA, 90)).Concat(Repeat("B", "C", BattleWinner.ModelB, 10))
            .ToList();
        var board = BradleyTerry.Leaderboard(battles, rounds: 100, seed: 5);
        var rows = board.Rows.ToDictionary(r => r.Model);
        Assert.Equal((1, 2), (rows["A"].BestRank, rows["A"].WorstRank));
        Assert.Equal((1, 2), (rows["B"].BestRank, rows["B"].WorstRank));
        Assert.Equal((3, 3), (rows["C"].BestRank, rows["C"].WorstRank));
        Assert.Equal(198, rows["A"].Votes);
        Assert.Equal(200, rows["C"].Votes);
    }

    [Fact]
    public void Matrices_count_battles_and_wins_from_either_seat()
    {
        Battle[] battles =
        [
            new("A", "B", BattleWinner.ModelA), new("B", "A", BattleWinner.ModelA), new("B", "A", BattleWinner.ModelB),
            new("A", "B", BattleWinner.Tie), new("A", "C", BattleWinner.ModelB),
        ];
        var matrices = PairwiseMatrices.Compute(battles, ["A", "B", "C"]);
        Assert.Equal(4, matrices.BattleCounts[0][1]);
        Assert.Equal(4, matrices.BattleCounts[1][0]);
        Assert.Equal(2, matrices.Wins[0][1]);
        Assert.Equal(1, matrices.Wins[1][0]);
        Assert.Equal(0.5, matrices.WinFraction[0][1]);
        Assert.Equal(0.25, matrices.WinFraction[1][0]); // the tie is in the denominator only
        Assert.Equal(1.0, matrices.WinFraction[2][0]);
        Assert.True(double.IsNaN(matrices.WinFraction[1][2]));
        Assert.True(double.IsNaN(matrices.WinFraction[0][0]));
        Assert.Equal(0.5, PairwiseMatrices.ExpectedWinProbability(1000, 1000));
        Assert.Equal(10.0 / 11.0, PairwiseMatrices.ExpectedWinProbability(1400, 1000), 12);
    }

    [SharedDatasetsFact("prd_vicuna80_pairwise")]
    public void Prd_vicuna80_human_votes_match_independent_references()
    {
        var dir = SharedDatasets.Get("prd_vicuna80_pairwise");
        var battles = SharedData.LoadPrdVicunaBattles(dir);
        var fit = BradleyTerry.Fit(battles);
        Assert.True(fit.Converged);

        // 1. Hunter's minorize-maximize iterations, in Python (Ratings/Reference/prd_vicuna80_reference.py).
        var python = new Dictionary<string, double>
        {
            ["gpt4"] = 1133.5267235842646, ["claude"] = 1129.267978936812, ["guanaco-65b"] = 994.3692013987504,
            ["guanaco-33b"] = 991.7515060943958, ["guanaco-7b"] = 986.1457833569416, ["vicuna-13b"] = 971.7586676005409,
            ["guanaco-13b"] = 964.4721162090435, ["gpt35"] = 919.3159035187105, ["bard"] = 909.3921193005406,
        };
        // 2. The same iterations written again in C# below. Every rating difference must agree to 0.01 points.
        var mm = MinorizeMaximize(battles);
        foreach (var a in fit.Ratings.Models)
        {
            Assert.Equal(python[a], fit.Ratings[a], 6);
            foreach (var b in fit.Ratings.Models)
                Assert.InRange(fit.Ratings[a] - fit.Ratings[b] - (mm[a] - mm[b]), -0.01, 0.01);
        }

        var board = BradleyTerry.Leaderboard(battles, rounds: 100, seed: 42);
        Assert.Equal(9, board.Rows.Count);
        Assert.Equal(7040 * 2, board.Rows.Sum(r => r.Votes));
        foreach (var row in board.Rows)
        {
            output.WriteLine($"{row.Model,-12} {row.Rating,8:F1} [{row.CiLow:F1}, {row.CiHigh:F1}] votes {row.Votes} rank {row.BestRank}-{row.WorstRank}");
            Assert.InRange(row.Rating, row.CiLow, row.CiHigh);
            Assert.InRange(row.BestRank, 1, row.WorstRank);
        }
        Assert.Equal(["claude", "gpt4"], board.Rows.Take(2).Select(r => r.Model).Order());

        // Ordering is consistent with the raw results: a model's rating rises with its share of points (ties ½).
        var share = fit.Ratings.Models.ToDictionary(m => m, m =>
        {
            var mine = battles.Where(x => x.ModelA == m || x.ModelB == m).ToList();
            return mine.Sum(x => x.ModelA == m ? x.ScoreA : 1 - x.ScoreA) / mine.Count;
        });
        var tau = KendallTau(fit.Ratings.Models.Select(m => fit.Ratings[m]).ToArray(),
            fit.Ratings.Models.Select(m => share[m]).ToArray());
        output.WriteLine($"Kendall tau(rating, point share) = {tau:F3}");
        Assert.True(tau >= 0.8, $"tau {tau}");

        var again = BradleyTerry.Leaderboard(battles, rounds: 100, seed: 42);
        Assert.Equal(board.Rows, again.Rows);
    }

    /// <summary>Battles among models m0, m1, … drawn from the BT model at the given true ratings (ties never).</summary>
    internal static List<Battle> Synthetic(double[] ratings, int count, long seed)
    {
        var rng = new SeededRandom((ulong)seed);
        var battles = new List<Battle>(count);
        while (battles.Count < count)
        {
            var a = rng.NextInt(ratings.Length);
            var b = rng.NextInt(ratings.Length);
            if (a == b) continue;
            var pa = 1 / (1 + Math.Pow(10, (ratings[b] - ratings[a]) / 400));
            battles.Add(new Battle($"m{a}", $"m{b}", rng.NextDouble() < pa ? BattleWinner.ModelA : BattleWinner.ModelB));
        }
        return battles;
    }

    /// <summary>
    /// Straightforward reference: Hunter (2004) MM updates γ_i ← W_i / Σ_j n_ij / (γ_i + γ_j) on FastChat's weights
    /// (2 × wins + ties), ratings 1000 + 400 log10 γ centred on 1000. Independent of the Newton solver.
    /// </summary>
    private static Dictionary<string, double> MinorizeMaximize(IReadOnlyList<Battle> battles)
    {
        var models = battles.SelectMany(b => new[] { b.ModelA, b.ModelB }).Distinct().ToArray();
        var index = models.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var n = models.Length;
        var w = new double[n, n];
        foreach (var battle in battles)
        {
            int a = index[battle.ModelA], b = index[battle.ModelB];
            w[a, b] += 2 * battle.ScoreA;
            w[b, a] += 2 * (1 - battle.ScoreA);
        }
        var gamma = Enumerable.Repeat(1.0, n).ToArray();
        for (var iteration = 0; iteration < 100_000; iteration++)
        {
            var next = new double[n];
            for (var i = 0; i < n; i++)
            {
                double wins = 0, denominator = 0;
                for (var j = 0; j < n; j++)
                {
                    if (j == i) continue;
                    wins += w[i, j];
                    denominator += (w[i, j] + w[j, i]) / (gamma[i] + gamma[j]);
                }
                next[i] = wins / denominator;
            }
            var meanLog = next.Average(Math.Log);
            var change = 0.0;
            for (var i = 0; i < n; i++)
            {
                next[i] /= Math.Exp(meanLog);
                change = Math.Max(change, Math.Abs(Math.Log(next[i] / gamma[i])));
            }
            gamma = next;
            if (change < 1e-14) break;
        }
        return models.Select((m, i) => (m, r: 1000 + 400 * Math.Log10(gamma[i]))).ToDictionary(x => x.m, x => x.r);
    }

    private static double KendallTau(double[] x, double[] y)
    {
        int concordant = 0, discordant = 0;
        for (var i = 0; i < x.Length; i++)
            for (var j = i + 1; j < x.Length; j++)
            {
                var s = Math.Sign(x[i] - x[j]) * Math.Sign(y[i] - y[j]);
                if (s > 0) concordant++;
                else if (s < 0) discordant++;
            }
        return (double)(concordant - discordant) / (x.Length * (x.Length - 1) / 2);
    }
}
