using System.Text.Json;
using Evals.Benchmarks.Ratings;
using Evals.TestKit;

namespace Evals.Runner.Tests.Arena;

/// <summary>`evals arena rate` through the real CLI: synthetic battles from known ratings, the shared human votes, bad files.</summary>
[Collection(ProcessTests.Name)]
public sealed class ArenaRateCliTests
{
    private static readonly Dictionary<string, string> NoDatabase = new();

    [Fact]
    public async Task Ratings_drawn_from_known_strengths_are_recovered_within_their_intervals()
    {
        // True ratings centred on 1000, as the fit centres them.
        var truth = new Dictionary<string, double> { ["qwen"] = 1180, ["glm"] = 1090, ["kimi"] = 1030, ["ernie"] = 980, ["spark"] = 920, ["baichuan"] = 800 };
        var random = new Random(20261123);
        var models = truth.Keys.ToArray();
        var battles = new List<object>();
        for (var i = 0; i < 12_000; i++)
        {
            var a = models[random.Next(models.Length)];
            var b = models[random.Next(models.Length)];
            if (a == b) continue;
            var pA = 1 / (1 + Math.Pow(10, (truth[b] - truth[a]) / 400));
            // No ties: a tie counts as half a win, which would pull the generated strengths together.
            var winner = random.NextDouble() < pA ? "model_a" : "model_b";
            battles.Add(new { model_a = a, model_b = b, winner, tstamp = 1_700_000_000.0 + i });
        }
        var folder = Directory.CreateTempSubdirectory("evals-arena-").FullName;
        var file = Path.Combine(folder, "battles.json");
        File.WriteAllText(file, JsonSerializer.Serialize(battles));
        var output = Path.Combine(folder, "ratings.json");

        var result = await CliProcess.RunAsync(NoDatabase, TimeSpan.FromMinutes(2), "arena", "rate", "--battles", file, "--bootstrap", "200", "--seed", "7", "--json", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Bradley-Terry", result.StdOut);
        using var ratings = JsonDocument.Parse(File.ReadAllText(output));
        var bt = ratings.RootElement.GetProperty("bt");
        // Each 95% interval misses its truth one time in twenty, so six at once miss about one time in four: check each
        // truth against its interval widened by a quarter of its width on either side (≈ 99.7% each, ≈ 98% jointly).
        foreach (var (model, rating) in truth)
        {
            var row = bt.GetProperty(model);
            var (low, high) = (row.GetProperty("ci_low").GetDouble(), row.GetProperty("ci_high").GetDouble());
            Assert.InRange(rating, low - (high - low) / 4, high + (high - low) / 4);
        }
        var order = bt.EnumerateObject().OrderByDescending(m => m.Value.GetProperty("rating").GetDouble()).Select(m => m.Name).ToList();
        Assert.Equal(truth.OrderByDescending(t => t.Value).Select(t => t.Key), order);
        Assert.Equal(models.Length, ratings.RootElement.GetProperty("elo").EnumerateObject().Count());
    }

    [Fact]
    public async Task Named_battles_are_left_out_as_Chatbot_Arena_leaves_them_out_unless_asked_for()
    {
        // Anonymous: x beats y 3 of 4; named: y beats x every time (votes for the brand would turn the order round).
        var battles = new List<object>();
        for (var i = 0; i < 40; i++) battles.Add(new { model_a = "x", model_b = "y", winner = i % 4 == 3 ? "model_b" : "model_a", anony = true });
        for (var i = 0; i < 200; i++) battles.Add(new { model_a = "x", model_b = "y", winner = "model_b", anony = false });
        var folder = Directory.CreateTempSubdirectory("evals-arena-").FullName;
        var file = Path.Combine(folder, "battles.json");
        File.WriteAllText(file, JsonSerializer.Serialize(battles));

        async Task<JsonElement> RateAsync(params string[] extra)
        {
            var output = Path.Combine(folder, $"ratings{extra.Length}.json");
            var result = await CliProcess.RunAsync(NoDatabase, TimeSpan.FromMinutes(2), ["arena", "rate", "--battles", file, "--bootstrap", "0", "--json", output, .. extra]);
            Assert.True(result.ExitCode == 0, result.ToString());
            if (extra.Length == 0) Assert.Contains("200 of 240 battles left out", result.StdOut);
            return JsonDocument.Parse(File.ReadAllText(output)).RootElement.GetProperty("bt");
        }

        var anonymous = await RateAsync();
        Assert.Equal(40, anonymous.GetProperty("x").GetProperty("votes").GetInt32());
        Assert.True(anonymous.GetProperty("x").GetProperty("rating").GetDouble() > anonymous.GetProperty("y").GetProperty("rating").GetDouble());
        var all = await RateAsync("--include-named");
        Assert.Equal(240, all.GetProperty("x").GetProperty("votes").GetInt32());
        Assert.True(all.GetProperty("x").GetProperty("rating").GetDouble() < all.GetProperty("y").GetProperty("rating").GetDouble());

        var namedOnly = Path.Combine(folder, "named.json");
        File.WriteAllText(namedOnly, JsonSerializer.Serialize(battles.Skip(40)));
        var refused = await CliProcess.RunAsync(NoDatabase, TimeSpan.FromMinutes(2), "arena", "rate", "--battles", namedOnly, "--bootstrap", "0");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("every one of the 200 battles", refused.StdErr + refused.StdOut);
    }

    [SharedDatasetsFact("prd_vicuna80_pairwise")]
    public async Task The_shared_human_votes_give_the_same_ratings_as_the_library_in_process()
    {
        SharedDatasetsRule.Require("prd_vicuna80_pairwise");
        var votes = Path.Combine(RepoPaths.SharedDatasets, "prd_vicuna80_pairwise", "ratings-human");
        const string prefix = "answer_", suffix = "-human-reviewer_threeclass.jsonl";
        var battles = new List<Battle>();
        foreach (var path in Directory.GetFiles(votes, "*.jsonl").Order(StringComparer.Ordinal))
        {
            var pair = Path.GetFileName(path)[prefix.Length..^suffix.Length].Split("-vs-answer_");
            foreach (var line in File.ReadLines(path).Where(l => l.Trim().Length > 0))
            {
                // PRD's three classes: 1 = the first model's answer won, 2 = the second's, 3 = tie.
                var score = JsonDocument.Parse(line).RootElement.GetProperty("score").GetInt32();
                battles.Add(new Battle(pair[0], pair[1], score switch { 1 => BattleWinner.ModelA, 2 => BattleWinner.ModelB, _ => BattleWinner.Tie }));
            }
        }
        Assert.Equal(7040, battles.Count);
        var folder = Directory.CreateTempSubdirectory("evals-arena-").FullName;
        var file = Path.Combine(folder, "prd.json");
        File.WriteAllText(file, JsonSerializer.Serialize(battles.Select(b => new { model_a = b.ModelA, model_b = b.ModelB, winner = Battle.FormatWinner(b.Winner) })));
        var output = Path.Combine(folder, "ratings.json");

        var result = await CliProcess.RunAsync(NoDatabase, TimeSpan.FromMinutes(2), "arena", "rate", "--battles", file, "--bootstrap", "100", "--json", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var ratings = JsonDocument.Parse(File.ReadAllText(output));
        var fit = BradleyTerry.Fit(battles).Ratings;
        var elo = EloRating.Compute(battles);
        foreach (var model in fit.Models)
        {
            Assert.Equal(fit[model], ratings.RootElement.GetProperty("bt").GetProperty(model).GetProperty("rating").GetDouble(), 6);
            Assert.Equal(elo[model], ratings.RootElement.GetProperty("elo").GetProperty(model).GetDouble(), 6);
        }
    }

    [Theory]
    [InlineData("[{\"model_a\": \"a\", \"model_b\": \"b\", \"winner\": \"model_a\"},\n{\"model_a\": \"a\", \"winner\": \"tie\"}]", ":2: battle 1: field 'model_b'")]
    [InlineData("[{\"model_a\": \"a\", \"model_b\": \"b\", \"winner\": \"a wins\"}]", ":1: battle 0: field 'winner'")]
    [InlineData("[{\"model_a\": \"a\", \"model_b\": \"b\", \"winner\": \"tie\", \"tstamp\": 5},\n {\"model_a\": \"b\", \"model_b\": \"a\", \"winner\": \"tie\"}]", ":2: field 'tstamp'")]
    [InlineData("{\"battles\": []}", ":1: expected a JSON array")]
    public async Task A_bad_battle_file_is_bad_input_naming_line_and_field(string content, string expected)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("evals-arena-").FullName, "bad.json");
        File.WriteAllText(file, content);
        var result = await CliProcess.RunAsync(NoDatabase, TimeSpan.FromMinutes(1), "arena", "rate", "--battles", file);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(file + expected, result.StdErr);
    }
}
