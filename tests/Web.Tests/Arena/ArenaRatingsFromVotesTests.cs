using System.Net;
using System.Text.Json;
using Evals.Benchmarks.Ratings;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;

namespace Evals.Web.Tests.Arena;

/// <summary>
/// The snapshot the scheduled job stores from the votes in PostgreSQL equals what <c>evals arena rate</c> (a separate
/// process) and the library compute from the same battles written to a Chatbot Arena battle file, and both meet figures
/// computed here: hand-counted votes, Elo updates written out, and the Bradley–Terry likelihood equations.
/// </summary>
public sealed class ArenaRatingsFromVotesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_ratings_snapshot_equals_arena_rate_on_the_same_battles()
    {
        var truth = new Dictionary<string, double> { ["qwen-7b"] = 1120, ["glm-6b"] = 1060, ["ernie-lite"] = 990, ["spark-lite"] = 900 };
        var models = truth.Keys.ToArray();
        var random = new Random(6);
        var counted = new List<(Battle Battle, DateTimeOffset At, string Prompt)>();
        var start = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var visitor = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("ratings-test"u8));
            for (var i = 0; i < 600; i++)
            {
                var a = models[random.Next(models.Length)];
                var b = models[(Array.IndexOf(models, a) + 1 + random.Next(models.Length - 1)) % models.Length];
                var pA = 1 / (1 + Math.Pow(10, (truth[b] - truth[a]) / 400));
                var u = random.NextDouble();
                var winner = u < 0.1 ? BattleWinner.Tie : u < 0.15 ? BattleWinner.TieBothBad : random.NextDouble() < pA ? BattleWinner.ModelA : BattleWinner.ModelB;
                // Stored out of time order, so the job must sort by vote time; every 10th vote is left out one way or another.
                var at = start.AddSeconds((i * 7919) % 600 * 13 + 1);
                var (answerA, answerB) = (Answer(a, i), Answer(b, i + 1));
                // A quarter of the prompts are English poems (categories english and creative_writing), the rest Chinese.
                var prompt = i % 4 == 0 ? $"Write a poem about rain, number {i}" : $"问题 {i}";
                var battle = new ArenaBattle
                {
                    VisitorHash = visitor, Prompt = prompt, ModelA = a, ModelB = b, AnswerA = answerA, AnswerB = answerB,
                    AnswerAFinishedAt = at, AnswerBFinishedAt = at, CreatedAt = at.AddSeconds(-1),
                };
                var vote = new ArenaVote { Battle = battle, Winner = Battle.FormatWinner(winner), VisitorHash = visitor, VotedAt = at };
                if (i % 20 == 3) vote.IdentifiedBy = "answer A: 通义千问";
                else if (i % 20 == 13) (vote.ExcludedReason, vote.ExcludedBy, vote.ExcludedAt) = ("spam", "tests", at);
                else counted.Add((new Battle(a, b, winner) { StyleA = AnswerStyle.Measure(answerA), StyleB = AnswerStyle.Measure(answerB) }, at, prompt));
                db.ArenaVotes.Add(vote);
            }
            await db.SaveChangesAsync();
        }

        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Arena__RatingsIntervalSeconds"] = "1",
            ["Arena__BootstrapRounds"] = "300",
            ["Arena__Seed"] = "42",
        });
        JsonElement snapshot = default;
        await Poll.UntilAsync(async () =>
        {
            var response = await app.Client.GetAsync("api/arena/ratings");
            if (response.StatusCode != HttpStatusCode.OK) return false;
            snapshot = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return true;
        }, TimeSpan.FromSeconds(60), "the first ratings snapshot", () => app.Output);
        Assert.Equal(counted.Count, snapshot.GetProperty("battles").GetInt32());
        Assert.Equal(600 - counted.Count, snapshot.GetProperty("excluded").GetInt32());

        var ordered = counted.OrderBy(c => c.At).ToList();
        var folder = Directory.CreateTempSubdirectory("evals-arena-votes-").FullName;
        var file = Path.Combine(folder, "battles.json");
        File.WriteAllText(file, JsonSerializer.Serialize(ordered.Select(c => new
        {
            model_a = c.Battle.ModelA, model_b = c.Battle.ModelB, winner = Battle.FormatWinner(c.Battle.Winner), tstamp = c.At.ToUnixTimeMilliseconds() / 1000.0,
            conversation_a = new[] { new { role = "user", content = c.Prompt }, new { role = "assistant", content = "…" } },
            conv_metadata = new Dictionary<string, object>
            {
                ["sum_assistant_a_tokens"] = c.Battle.StyleA!.Tokens, ["sum_assistant_b_tokens"] = c.Battle.StyleB!.Tokens,
                ["header_count_a"] = new { h1 = 0, h2 = c.Battle.StyleA.Headers }, ["header_count_b"] = c.Battle.StyleB.Headers,
                ["list_count_a"] = new { ordered = c.Battle.StyleA.Lists, unordered = 0 }, ["list_count_b"] = c.Battle.StyleB.Lists,
                ["bold_count_a"] = c.Battle.StyleA.Bold, ["bold_count_b"] = new Dictionary<string, int> { ["**"] = c.Battle.StyleB.Bold, ["__"] = 0 },
            },
        })));
        var output = Path.Combine(folder, "ratings.json");
        var cli = await CliProcess.RunAsync(new Dictionary<string, string>(), TimeSpan.FromMinutes(2), "arena", "rate", "--battles", file, "--bootstrap", "300", "--seed", "42", "--json", output, "--style-control");
        Assert.True(cli.ExitCode == 0, cli.ToString());
        using var rated = JsonDocument.Parse(File.ReadAllText(output));

        // Per category: the job classified each stored prompt, the CLI the user turn of conversation_a; the same battles
        // give the same leaderboard, and they are the English battles counted here by hand.
        var english = ordered.Where(c => c.Prompt.StartsWith("Write", StringComparison.Ordinal)).Select(c => c.Battle).ToList();
        var categoryOutput = Path.Combine(folder, "english.json");
        var categoryCli = await CliProcess.RunAsync(new Dictionary<string, string>(), TimeSpan.FromMinutes(2), "arena", "rate", "--battles", file,
            "--bootstrap", "300", "--seed", "42", "--json", categoryOutput, "--category", "english");
        Assert.True(categoryCli.ExitCode == 0, categoryCli.ToString());
        Assert.Contains($"category english: {english.Count} of {ordered.Count} battles", categoryCli.StdOut);
        using var ratedEnglish = JsonDocument.Parse(File.ReadAllText(categoryOutput));
        var categories = snapshot.GetProperty("ratings").GetProperty("categories");
        Assert.Equal(english.Count, categories.GetProperty("english").GetProperty("battles").GetInt32());
        Assert.Equal(english.Count, categories.GetProperty("creative_writing").GetProperty("battles").GetInt32());
        Assert.Equal(ordered.Count - english.Count, categories.GetProperty("chinese").GetProperty("battles").GetInt32());
        var englishLibrary = BradleyTerry.Leaderboard(english, 300, 42);
        foreach (var row in categories.GetProperty("english").GetProperty("rows").EnumerateArray())
        {
            var model = row.GetProperty("model").GetString()!;
            Assert.Equal(ratedEnglish.RootElement.GetProperty("bt").GetProperty(model).GetProperty("rating").GetDouble(), row.GetProperty("rating").GetDouble(), 9);
            Assert.Equal(ratedEnglish.RootElement.GetProperty("bt").GetProperty(model).GetProperty("ci_low").GetDouble(), row.GetProperty("ci_low").GetDouble(), 9);
            Assert.Equal(englishLibrary.Rows.Single(r => r.Model == model).Rating, row.GetProperty("rating").GetDouble(), 9);
        }

        var rows = snapshot.GetProperty("ratings").GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(models.Length, rows.Count);
        var library = BradleyTerry.Leaderboard(ordered.Select(c => c.Battle).ToList(), 300, 42);
        var elo = EloRating.Compute(ordered.Select(c => c.Battle).ToList());
        var styleLibrary = StyleControl.Fit(ordered.Select(c => c.Battle).ToList());
        foreach (var row in rows)
        {
            var model = row.GetProperty("model").GetString()!;
            var bt = rated.RootElement.GetProperty("bt").GetProperty(model);
            Assert.Equal(bt.GetProperty("rating").GetDouble(), row.GetProperty("rating").GetDouble(), 9);
            Assert.Equal(bt.GetProperty("ci_low").GetDouble(), row.GetProperty("ci_low").GetDouble(), 9);
            Assert.Equal(bt.GetProperty("ci_high").GetDouble(), row.GetProperty("ci_high").GetDouble(), 9);
            Assert.Equal(bt.GetProperty("votes").GetInt32(), row.GetProperty("votes").GetInt32());
            Assert.Equal(rated.RootElement.GetProperty("elo").GetProperty(model).GetDouble(), row.GetProperty("elo").GetDouble(), 9);
            Assert.Equal(elo[model], row.GetProperty("elo").GetDouble(), 9);
            Assert.Equal(library.Rows.Single(r => r.Model == model).Rating, row.GetProperty("rating").GetDouble(), 9);
            // Style control: the job measured each stored answer; the CLI read the same counts from conv_metadata.
            var styled = rated.RootElement.GetProperty("style_control").GetProperty(model);
            Assert.Equal(styled.GetProperty("rating").GetDouble(), row.GetProperty("style_rating").GetDouble(), 9);
            Assert.Equal(styled.GetProperty("ci_low").GetDouble(), row.GetProperty("style_ci_low").GetDouble(), 9);
            Assert.Equal(styled.GetProperty("ci_high").GetDouble(), row.GetProperty("style_ci_high").GetDouble(), 9);
            Assert.Equal(styleLibrary.Ratings[model], row.GetProperty("style_rating").GetDouble(), 9);
        }
        Assert.Equal(styleLibrary.Coefficients, snapshot.GetProperty("ratings").GetProperty("style_coefficients").EnumerateArray().Select(c => c.GetDouble()));
        // Votes here ignore style, but qwen-7b answers longest with the most lists: the covariates move its rating.
        var qwen = rows.Single(r => r.GetProperty("model").GetString() == "qwen-7b");
        Assert.True(qwen.GetProperty("style_rating").GetDouble() != qwen.GetProperty("rating").GetDouble());
        // Figures of neither path, for both: votes by hand count; Elo by FastChat's update rule written out here (K 4,
        // scale 400, base 10, start 1000, either tie worth ½); Bradley–Terry by its likelihood equations, which the
        // maximum satisfies: each model's expected score over its battles equals its actual score, and the mean is 1000.
        var ownElo = models.ToDictionary(m => m, _ => 1000.0);
        foreach (var (battle, _, _) in ordered)
        {
            var expectedA = 1 / (1 + Math.Pow(10, (ownElo[battle.ModelB] - ownElo[battle.ModelA]) / 400));
            var scoreA = battle.Winner switch { BattleWinner.ModelA => 1.0, BattleWinner.ModelB => 0.0, _ => 0.5 };
            ownElo[battle.ModelA] += 4 * (scoreA - expectedA);
            ownElo[battle.ModelB] += 4 * (expectedA - scoreA);
        }
        var fromCli = models.ToDictionary(m => m, m => rated.RootElement.GetProperty("bt").GetProperty(m).GetProperty("rating").GetDouble());
        var fromJob = rows.ToDictionary(r => r.GetProperty("model").GetString()!, r => r.GetProperty("rating").GetDouble());
        foreach (var model in models)
        {
            var played = ordered.Count(c => c.Battle.ModelA == model || c.Battle.ModelB == model);
            Assert.Equal(played, rows.Single(r => r.GetProperty("model").GetString() == model).GetProperty("votes").GetInt32());
            Assert.Equal(played, rated.RootElement.GetProperty("bt").GetProperty(model).GetProperty("votes").GetInt32());
            Assert.Equal(ownElo[model], rows.Single(r => r.GetProperty("model").GetString() == model).GetProperty("elo").GetDouble(), 9);
            Assert.Equal(ownElo[model], rated.RootElement.GetProperty("elo").GetProperty(model).GetDouble(), 9);
            foreach (var ratings in new[] { fromCli, fromJob })
            {
                double actual = 0, expected = 0;
                foreach (var (battle, _, _) in ordered.Where(c => c.Battle.ModelA == model || c.Battle.ModelB == model))
                {
                    var opponent = battle.ModelA == model ? battle.ModelB : battle.ModelA;
                    expected += 1 / (1 + Math.Pow(10, (ratings[opponent] - ratings[model]) / 400));
                    actual += battle.Winner switch
                    {
                        BattleWinner.ModelA => battle.ModelA == model ? 1 : 0,
                        BattleWinner.ModelB => battle.ModelB == model ? 1 : 0,
                        _ => 0.5,
                    };
                }
                Assert.Equal(actual, expected, 6);
            }
        }
        Assert.Equal(1000, fromCli.Values.Average(), 6);
        Assert.Equal(1000, fromJob.Values.Average(), 6);

        // Best first, and the stronger generated models rank higher.
        Assert.Equal(truth.OrderByDescending(t => t.Value).Select(t => t.Key), rows.Select(r => r.GetProperty("model").GetString()));

        var page = await app.Client.GetStringAsync("arena/ratings?category=all");
        Assert.Contains("data-category=\"chinese\"", await app.Client.GetStringAsync("arena/ratings")); // the default view
        Assert.Contains($">{counted.Count}</strong>", page);
        Assert.Contains("qwen-7b", page);
        Assert.Contains("data-echarts-option", page);
        Assert.Contains("id=\"style-control-note\"", page);
        Assert.Contains(qwen.GetProperty("style_rating").GetDouble().ToString("0.0"), page);
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Answers of varied length and markdown; qwen-7b's are longer and carry more lists.</summary>
    private static string Answer(string model, int i) =>
        string.Concat(Enumerable.Repeat("这是回答的内容。", 1 + (i * 31 + model.Length) % 9))
        + (i % 3 == 0 ? "\n## 小结\n- 一\n- 二\n**重点**" : "")
        + (model == "qwen-7b" ? "\n1. 第一步\n2. 第二步\n" + string.Concat(Enumerable.Repeat("补充说明。", i % 7)) : "");
}
