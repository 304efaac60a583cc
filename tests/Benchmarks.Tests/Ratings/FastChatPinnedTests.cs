using Evals.Benchmarks.Ratings;

namespace Evals.Benchmarks.Tests.Ratings;

/// <summary>
/// Our ratings against FastChat's own code on the same battles. The values below were computed once by running FastChat
/// (lm-sys/FastChat commit 0e6d3e4beaab66f4d3f93db72541a4abab8af28d, fastchat/serve/monitor/rating_systems.py) with
/// Debian's numpy 1.24.2, scipy 1.10.1 and pandas 1.5.3:
/// <code>python3 make_fastchat_battles.py   # writes fastchat_battles.json (360 battles, 8 models)
/// python3 fastchat_reference.py --fastchat DIR   # DIR holds fastchat/serve/monitor/rating_systems.py</code>
/// both in Ratings/Reference. As elo_analysis.report_elo_analysis_results does, the driver builds a DataFrame from the
/// file, sorts it by tstamp and calls compute_elo (online Elo), compute_bt (Bradley–Terry) and compute_style_control
/// (style control); categories use FastChat's own filters, language == "Chinese" / "English" (elo_analysis's
/// filter_func_map) and turn > 1, which must select the same battles as our <see cref="PromptCategories"/> rules;
/// style control is also run on the Chinese battles alone (the ratings page's default view), and both fits on the
/// battles with one model renamed to FastChat's anchor model.
/// <para>Tolerances. Online Elo is the same arithmetic in another order of operations: 1e-9 rating points. The fits are
/// not: FastChat's L-BFGS stops at a gradient of 1e-6 (or its relative-decrease test) short of the optimum, while ours
/// is Newton's method to the exact optimum of the same objective. The driver minimises FastChat's own objective further
/// and prints the gap: at most 0.0062 rating points (multi_turn; 0.0004 on all battles, 0.0053 with style control) and
/// 1.6e-5 in a style coefficient. So ratings are compared to ±0.01 points and coefficients to ±5e-5, far below what
/// any difference in the model (ties, scale, base, regularisation, normalisation) would move them. The driver also
/// prints the optimum of FastChat's own objectives (its loss and gradient functions, Newton steps until the gradient is
/// below 1e-10); on all battles ours must equal that to ±1e-6 points and ±1e-8 in a coefficient (our Newton stops at a
/// step of 1e-9 in natural units, 4e-7 points), which leaves no room for a difference in the objective.</para>
/// </summary>
public sealed class FastChatPinnedTests
{
    private const double FitTolerance = 0.01;
    private const double CoefficientTolerance = 5e-5;
    private const double OptimumTolerance = 1e-6;
    private const double OptimumCoefficientTolerance = 1e-8;

    private static readonly IReadOnlyList<Battle> Battles = BattleFile.Read(
        Path.Combine(AppContext.BaseDirectory, "Ratings", "Reference", "fastchat_battles.json"), requireStyle: true, readCategories: true);

    /// <summary>Every model within <paramref name="tolerance"/>; a failure names the model furthest off.</summary>
    private static void AssertRatings(IReadOnlyDictionary<string, double> expected, Func<string, double> actual, double tolerance)
    {
        var (model, rating) = expected.MaxBy(e => Math.Abs(actual(e.Key) - e.Value));
        var ours = actual(model);
        Assert.True(Math.Abs(ours - rating) <= tolerance,
            $"{model}: ours {ours:R}, FastChat {rating:R} (difference {ours - rating:0.#########}, tolerance {tolerance})");
    }

    /// <summary>Length, headers, lists, bold, each within <paramref name="tolerance"/>.</summary>
    private static void AssertCoefficients(double[] expected, IReadOnlyList<double> actual, double tolerance)
    {
        for (var k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(actual[k] - expected[k]) <= tolerance,
                $"{StyleControl.FeatureNames[k]}: ours {actual[k]:R}, FastChat {expected[k]:R} (tolerance {tolerance})");
    }

    [Fact]
    public void Online_Elo_equals_FastChat_compute_elo()
    {
        var elo = EloRating.Compute(Battles);
        Assert.Equal(8, elo.Models.Count);
        AssertRatings(new Dictionary<string, double>
        {
            ["yi-1.5-34b"] = 1027.9617701034922,
            ["glm-4-9b"] = 1023.6086443329791,
            ["qwen2-7b"] = 1013.5818459619719,
            ["internlm2-20b"] = 1009.1612442666302,
            ["baichuan2-13b"] = 995.0521565298023,
            ["llama-3-8b"] = 985.2524124647011,
            ["deepseek-v2-lite"] = 980.387660689051,
            ["mistral-7b"] = 964.9942656513725,
        }, m => elo[m], 1e-9);
    }

    private static readonly Dictionary<string, double> FastChatBradleyTerry = new()
    {
        ["yi-1.5-34b"] = 1064.5954329946278,
        ["glm-4-9b"] = 1046.1182945635285,
        ["qwen2-7b"] = 1045.0284656189174,
        ["internlm2-20b"] = 1019.3514125014942,
        ["baichuan2-13b"] = 994.3721733740547,
        ["deepseek-v2-lite"] = 955.5575237863617,
        ["llama-3-8b"] = 954.9510524005703,
        ["mistral-7b"] = 920.0256447604454,
    };

    /// <summary>compute_bt's objective (bt_loss_and_grad) at its optimum, with compute_bt's mean.</summary>
    private static readonly Dictionary<string, double> FastChatBradleyTerryOptimum = new()
    {
        ["yi-1.5-34b"] = 1064.5952645275295,
        ["glm-4-9b"] = 1046.1179333873993,
        ["qwen2-7b"] = 1045.0286816254484,
        ["internlm2-20b"] = 1019.3515343870307,
        ["baichuan2-13b"] = 994.3723146640294,
        ["deepseek-v2-lite"] = 955.5575042625466,
        ["llama-3-8b"] = 954.9510176822259,
        ["mistral-7b"] = 920.0257494637901,
    };

    [Fact]
    public void Bradley_Terry_equals_FastChat_compute_bt_in_the_fit_and_the_leaderboard()
    {
        var fit = BradleyTerry.Fit(Battles);
        Assert.True(fit.Converged);
        AssertRatings(FastChatBradleyTerry, m => fit.Ratings[m], FitTolerance);
        AssertRatings(FastChatBradleyTerryOptimum, m => fit.Ratings[m], OptimumTolerance);
        // The leaderboard (what `evals arena rate` and the ratings page show) reports the same point estimate.
        var board = BradleyTerry.Leaderboard(Battles, rounds: 20, seed: 1);
        AssertRatings(FastChatBradleyTerry, m => board.Rows.Single(r => r.Model == m).Rating, FitTolerance);
        Assert.Equal(FastChatBradleyTerry.OrderByDescending(r => r.Value).Select(r => r.Key), board.Rows.Select(r => r.Model));
    }

    private static readonly Dictionary<string, double> FastChatStyleControl = new()
    {
        ["glm-4-9b"] = 1069.3386160584107,
        ["qwen2-7b"] = 1017.7600593575831,
        ["yi-1.5-34b"] = 1015.7374051656228,
        ["baichuan2-13b"] = 998.8671571534708,
        ["deepseek-v2-lite"] = 989.6930924892521,
        ["internlm2-20b"] = 985.0021252688451,
        ["llama-3-8b"] = 970.2078103726908,
        ["mistral-7b"] = 953.3937341341242,
    };

    /// <summary>Length, headers, lists, bold: compute_style_control's second result.</summary>
    private static readonly double[] FastChatStyleCoefficients = [0.28977394167533427, 0.13158496941335848, -0.06359666978269957, 0.2144812006378609];

    /// <summary>compute_style_control's objective (contextual_bt_loss_and_grad, reg 0.5) at its optimum.</summary>
    private static readonly Dictionary<string, double> FastChatStyleControlOptimum = new()
    {
        ["glm-4-9b"] = 1069.3386172718742,
        ["qwen2-7b"] = 1017.7618569098672,
        ["yi-1.5-34b"] = 1015.7366949503995,
        ["baichuan2-13b"] = 998.8663639434152,
        ["deepseek-v2-lite"] = 989.6983588914735,
        ["internlm2-20b"] = 985.0007895202812,
        ["llama-3-8b"] = 970.2044476954084,
        ["mistral-7b"] = 953.392870817276,
    };

    private static readonly double[] FastChatStyleCoefficientsOptimum = [0.2897902230427583, 0.1315807834875071, -0.06360192354964207, 0.21448447679535884];

    [Fact]
    public void Style_control_equals_FastChat_compute_style_control_ratings_and_coefficients()
    {
        var fit = StyleControl.Fit(Battles);
        Assert.True(fit.Converged);
        AssertRatings(FastChatStyleControl, m => fit.Ratings[m], FitTolerance);
        AssertRatings(FastChatStyleControlOptimum, m => fit.Ratings[m], OptimumTolerance);
        AssertCoefficients(FastChatStyleCoefficients, fit.Coefficients, CoefficientTolerance);
        AssertCoefficients(FastChatStyleCoefficientsOptimum, fit.Coefficients, OptimumCoefficientTolerance);
        var board = StyleControl.Leaderboard(Battles, rounds: 20, seed: 1);
        AssertRatings(FastChatStyleControl, m => board.Rows.Single(r => r.Model == m).Rating, FitTolerance);
        Assert.Equal(FastChatStyleControl.OrderByDescending(r => r.Value).Select(r => r.Key), board.Rows.Select(r => r.Model));
    }

    [Fact]
    public void With_FastChats_anchor_model_among_the_battles_both_fits_put_it_at_1114_as_FastChat_does()
    {
        // The same battles with mistral-7b renamed mixtral-8x7b-instruct-v0.1: FastChat's scale_and_offset shifts every
        // rating to put that model at 1114, and so do our default options.
        var renamed = Battles.Select(b => b with
        {
            ModelA = b.ModelA == "mistral-7b" ? BradleyTerryOptions.FastChatAnchorModel : b.ModelA,
            ModelB = b.ModelB == "mistral-7b" ? BradleyTerryOptions.FastChatAnchorModel : b.ModelB,
        }).ToList();
        var bt = BradleyTerry.Fit(renamed);
        AssertRatings(new Dictionary<string, double>
        {
            ["yi-1.5-34b"] = 1258.5697882341824,
            ["glm-4-9b"] = 1240.092649803083,
            ["qwen2-7b"] = 1239.002820858472,
            ["internlm2-20b"] = 1213.3257677410488,
            ["baichuan2-13b"] = 1188.3465286136093,
            ["deepseek-v2-lite"] = 1149.5318790259162,
            ["llama-3-8b"] = 1148.9254076401248,
            [BradleyTerryOptions.FastChatAnchorModel] = 1114.0,
        }, m => bt.Ratings[m], FitTolerance);
        var styled = StyleControl.Fit(renamed);
        AssertRatings(new Dictionary<string, double>
        {
            ["glm-4-9b"] = 1229.9448819242866,
            ["qwen2-7b"] = 1178.366325223459,
            ["yi-1.5-34b"] = 1176.3436710314986,
            ["baichuan2-13b"] = 1159.4734230193467,
            ["deepseek-v2-lite"] = 1150.2993583551279,
            ["internlm2-20b"] = 1145.608391134721,
            ["llama-3-8b"] = 1130.8140762385665,
            [BradleyTerryOptions.FastChatAnchorModel] = 1114.0,
        }, m => styled.Ratings[m], FitTolerance);
    }

    /// <summary>compute_bt on each category's battles.</summary>
    private static readonly Dictionary<string, Dictionary<string, double>> FastChatCategories = new()
    {
        {
            PromptCategories.Chinese, new()
            {
                ["yi-1.5-34b"] = 1056.0997555792082,
                ["qwen2-7b"] = 1042.6782655844447,
                ["glm-4-9b"] = 1039.7991376984328,
                ["internlm2-20b"] = 1010.8348561911048,
                ["llama-3-8b"] = 1003.1634588375224,
                ["baichuan2-13b"] = 971.7933311324343,
                ["deepseek-v2-lite"] = 947.3142356130766,
                ["mistral-7b"] = 928.3169593637759,
            }
        },
        {
            PromptCategories.English, new()
            {
                ["yi-1.5-34b"] = 1076.0891320118453,
                ["glm-4-9b"] = 1049.6184656968833,
                ["qwen2-7b"] = 1044.7143386860814,
                ["baichuan2-13b"] = 1040.1855767881882,
                ["internlm2-20b"] = 1038.0240348698476,
                ["deepseek-v2-lite"] = 960.0078324750959,
                ["mistral-7b"] = 913.0003265788831,
                ["llama-3-8b"] = 878.3602928931749,
            }
        },
        {
            PromptCategories.MultiTurn, new()
            {
                ["qwen2-7b"] = 1107.5776794778894,
                ["glm-4-9b"] = 1086.2197043176568,
                ["yi-1.5-34b"] = 1084.1080472018318,
                ["deepseek-v2-lite"] = 967.6599907567478,
                ["baichuan2-13b"] = 967.0469673313115,
                ["internlm2-20b"] = 955.1540244771393,
                ["llama-3-8b"] = 952.7680025295873,
                ["mistral-7b"] = 879.4655839078362,
            }
        },
    };

    [Theory]
    [InlineData(PromptCategories.Chinese, 211)]
    [InlineData(PromptCategories.English, 149)]
    [InlineData(PromptCategories.MultiTurn, 104)]
    public void Category_ratings_equal_FastChat_compute_bt_on_the_same_battles(string category, int count)
    {
        var battles = Battles.Where(b => b.Categories!.Contains(category)).ToList();
        Assert.Equal(count, battles.Count);
        var fit = BradleyTerry.Fit(battles);
        Assert.True(fit.Converged);
        AssertRatings(FastChatCategories[category], m => fit.Ratings[m], FitTolerance);
    }

    [Fact]
    public void Style_control_on_the_Chinese_category_equals_FastChat_with_features_standardised_over_that_category()
    {
        var battles = Battles.Where(b => b.Categories!.Contains(PromptCategories.Chinese)).ToList();
        var fit = StyleControl.Fit(battles);
        Assert.True(fit.Converged);
        AssertRatings(new Dictionary<string, double>
        {
            ["glm-4-9b"] = 1062.8194138035326,
            ["llama-3-8b"] = 1015.4643612347514,
            ["qwen2-7b"] = 1008.115636992065,
            ["yi-1.5-34b"] = 1006.3243923735547,
            ["deepseek-v2-lite"] = 985.8608676281762,
            ["baichuan2-13b"] = 983.4596240326329,
            ["internlm2-20b"] = 975.9844075643174,
            ["mistral-7b"] = 961.9712963709698,
        }, m => fit.Ratings[m], FitTolerance);
        AssertCoefficients([0.41603093289856097, 0.16315941185846222, -0.16595827802870317, 0.07707811957231919], fit.Coefficients, CoefficientTolerance);
    }
}
