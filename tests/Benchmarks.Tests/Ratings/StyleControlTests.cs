using Evals.Benchmarks.Ratings;
using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Tests.Ratings;

/// <summary>
/// Chatbot Arena's style control: a hand-solvable case, an independent fit written out here (plain gradient descent on
/// FastChat's objective, the formula re-derived in the test), and simulated votes. Values from a run of FastChat's own
/// code are pinned in <see cref="FastChatPinnedTests"/>.
/// </summary>
public sealed class StyleControlTests
{
    private static Battle Styled(string a, string b, BattleWinner winner, AnswerStyle styleA, AnswerStyle styleB) =>
        new(a, b, winner) { StyleA = styleA, StyleB = styleB };

    [Fact]
    public void Markdown_is_counted_as_FastChat_counts_it_with_code_blocks_removed_first()
    {
        const string answer = "# 标题\n## 小节\n####### 不是标题\n1. 第一\n2. 第二\n- 项\n  * 嵌套项\n+ 另一项\n**粗体** 和 __也粗__ 和 **跨\n行**\n```\n# 代码里的井号\n- 代码里的列表\n**代码里的粗体**\n```\nhello world 42";
        var style = AnswerStyle.Measure(answer);
        Assert.Equal(2, style.Headers);
        Assert.Equal(5, style.Lists);
        Assert.Equal(2, style.Bold);
        // Tokens: one per CJK character, one per letter/digit run, one per other visible character.
        Assert.Equal(4, AnswerStyle.Measure("你好 world!").Tokens); // 你, 好, world, !
        Assert.Equal(4, AnswerStyle.Measure("x1 = 42;").Tokens); // x1, =, 42, ;
    }

    [Fact]
    public void Symmetric_battles_give_equal_ratings_and_a_length_coefficient_that_solves_the_penalised_equation()
    {
        // a and b each win twice, always with the longer answer; headers, lists and bold never differ (no spread: 0).
        // By symmetry r_a = r_b = 0 (ratings 1000), and the length feature standardises to ±1 with the longer side's sign,
        // so every battle's likelihood is σ(β); FastChat's objective −4·log σ(β) + (0.5 / 2)·β² is stationary where
        // 4·(1 − σ(β)) = 0.5·β. Solved here by bisection.
        static AnswerStyle Long() => new(300, 1, 2, 3);
        static AnswerStyle Short() => new(100, 1, 2, 3);
        var battles = new[]
        {
            Styled("a", "b", BattleWinner.ModelA, Long(), Short()),
            Styled("a", "b", BattleWinner.ModelB, Short(), Long()),
            Styled("b", "a", BattleWinner.ModelA, Long(), Short()),
            Styled("b", "a", BattleWinner.ModelB, Short(), Long()),
        };
        double lo = 0, hi = 10;
        for (var i = 0; i < 200; i++)
        {
            var mid = (lo + hi) / 2;
            if (4 * (1 - 1 / (1 + Math.Exp(-mid))) > 0.5 * mid) lo = mid; else hi = mid;
        }
        var fit = StyleControl.Fit(battles);
        Assert.True(fit.Converged);
        Assert.Equal(1000, fit.Ratings["a"], 9);
        Assert.Equal(1000, fit.Ratings["b"], 9);
        Assert.Equal(lo, fit.Coefficients[0], 9);
        Assert.Equal([0.0, 0.0, 0.0], fit.Coefficients.Skip(1));
        Assert.InRange(lo, 1.48, 1.50);
    }

    /// <summary>Random battles among 6 models with random styles; votes prefer the stronger model and the longer answer.</summary>
    private static List<Battle> Simulated(int count, int seed, double[] strength, Func<int, int> length)
    {
        var rng = new SeededRandom((ulong)seed);
        var battles = new List<Battle>(count);
        for (var n = 0; n < count; n++)
        {
            var a = rng.NextInt(strength.Length);
            var b = (a + 1 + rng.NextInt(strength.Length - 1)) % strength.Length;
            var sa = new AnswerStyle(length(a) + rng.NextInt(200), rng.NextInt(4), rng.NextInt(8), rng.NextInt(5));
            var sb = new AnswerStyle(length(b) + rng.NextInt(200), rng.NextInt(4), rng.NextInt(8), rng.NextInt(5));
            var lengthEdge = 1.2 * (sa.Tokens - sb.Tokens) / (double)(sa.Tokens + sb.Tokens + 1);
            var p = 1 / (1 + Math.Exp(-(Math.Log(10) / 400 * (strength[a] - strength[b]) + lengthEdge)));
            var u = rng.NextDouble();
            var winner = u < 0.1 ? BattleWinner.Tie : rng.NextDouble() < p ? BattleWinner.ModelA : BattleWinner.ModelB;
            battles.Add(Styled($"m{a}", $"m{b}", winner, sa, sb));
        }
        return battles;
    }

    [Fact]
    public void Newton_reaches_the_optimum_an_independent_gradient_descent_finds()
    {
        var battles = Simulated(400, 7, [1000, 1040, 980, 1100, 950, 1010], i => 100 + 60 * i);
        var fit = StyleControl.Fit(battles);

        // Independent: FastChat's objective re-derived from its definition — features (a−b)/(a+b+1) standardised with
        // the population deviation, logit ln10·(r_a − r_b) + f·β, loss −Σ[y·log p + (1−y)·log(1−p)] + 0.25·‖θ‖² —
        // minimised by plain gradient descent with a fixed small step, no Newton, no shared code.
        var models = battles.SelectMany(b => new[] { b.ModelA, b.ModelB }).Distinct().ToList();
        var raw = battles.Select(b => new[]
        {
            (b.StyleA!.Tokens - b.StyleB!.Tokens) / (b.StyleA.Tokens + b.StyleB.Tokens + 1.0),
            (b.StyleA.Headers - b.StyleB.Headers) / (b.StyleA.Headers + b.StyleB.Headers + 1.0),
            (b.StyleA.Lists - b.StyleB.Lists) / (b.StyleA.Lists + b.StyleB.Lists + 1.0),
            (b.StyleA.Bold - b.StyleB.Bold) / (b.StyleA.Bold + b.StyleB.Bold + 1.0),
        }).ToList();
        var features = raw.Select(_ => new double[4]).ToList();
        for (var k = 0; k < 4; k++)
        {
            var mean = raw.Average(r => r[k]);
            var sd = Math.Sqrt(raw.Average(r => (r[k] - mean) * (r[k] - mean)));
            for (var i = 0; i < raw.Count; i++) features[i][k] = (raw[i][k] - mean) / sd;
        }
        var theta = new double[models.Count + 4];
        for (var step = 0; step < 200_000; step++)
        {
            var grad = theta.Select(t => 0.5 * t).ToArray();
            for (var i = 0; i < battles.Count; i++)
            {
                int a = models.IndexOf(battles[i].ModelA), b = models.IndexOf(battles[i].ModelB);
                var z = Math.Log(10) * (theta[a] - theta[b]);
                for (var k = 0; k < 4; k++) z += features[i][k] * theta[models.Count + k];
                var error = 1 / (1 + Math.Exp(-z)) - battles[i].ScoreA;
                grad[a] += Math.Log(10) * error;
                grad[b] -= Math.Log(10) * error;
                for (var k = 0; k < 4; k++) grad[models.Count + k] += features[i][k] * error;
            }
            if (grad.Max(Math.Abs) < 1e-10) break;
            for (var j = 0; j < theta.Length; j++) theta[j] -= 0.002 * grad[j];
        }
        foreach (var model in models)
            Assert.Equal(400 * theta[models.IndexOf(model)] + 1000, fit.Ratings[model], 5);
        for (var k = 0; k < 4; k++) Assert.Equal(theta[models.Count + k], fit.Coefficients[k], 8);
    }

    [Fact]
    public void A_long_winded_model_is_inflated_by_raw_ratings_and_put_back_by_style_control()
    {
        // All six models are equally strong; m5 writes about three times as long, and voters prefer longer answers.
        var battles = Simulated(6000, 11, [1000, 1000, 1000, 1000, 1000, 1000], i => i == 5 ? 900 : 150);
        var raw = BradleyTerry.Leaderboard(battles, rounds: 50, seed: 3);
        var styled = StyleControl.Leaderboard(battles, rounds: 50, seed: 3);
        Assert.Equal("m5", raw.Rows[0].Model);
        Assert.True(raw.Rows[0].Rating > 1040, $"raw rating of the long-winded model: {raw.Rows[0].Rating:0.0}");
        var m5 = styled.Rows.Single(r => r.Model == "m5");
        Assert.InRange(m5.Rating, 975, 1025);
        // Voters add 1.2 × the length ratio to the log-odds; per standard deviation of the ratio (about 0.3 here) that is about 0.35.
        Assert.InRange(styled.Coefficients[0], 0.25, 0.45);
        Assert.All(styled.Rows, r => Assert.True(r.CiLow <= r.Rating && r.Rating <= r.CiHigh));
        // The same seed gives the same intervals on one thread as on all cores.
        var single = StyleControl.Leaderboard(battles, rounds: 50, seed: 3, maxDegreeOfParallelism: 1);
        Assert.Equal(styled.Rows.Select(r => (r.CiLow, r.CiHigh)), single.Rows.Select(r => (r.CiLow, r.CiHigh)));
    }

    [Fact]
    public void A_battle_without_style_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => StyleControl.Fit([new Battle("a", "b", BattleWinner.Tie)]));
        Assert.Contains("Battle 0 (a vs b) has no style features", error.Message);
    }
}
