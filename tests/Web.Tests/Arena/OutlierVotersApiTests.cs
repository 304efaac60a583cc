using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Evals.Runner.Arena;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Arena;

/// <summary>
/// The outlier-voter analysis over stored votes and a real ratings snapshot, through the admin API (the admin page
/// reads the same <c>ArenaQueries</c>): honest voters are not flagged, a contrarian is; excluding it leaves all of its
/// votes out of the ratings (the per-vote exclusion) and lists it among the excluded voters.
/// </summary>
public sealed class OutlierVotersApiTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly string[] Models = ["m0", "m1", "m2", "m3"];
    private static readonly double[] Strength = [1200, 1100, 1000, 900];

    private static string Hash(string visitor) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(visitor)));

    [Fact]
    public async Task A_contrarian_voter_is_flagged_for_admins_and_its_votes_can_be_excluded()
    {
        var random = new Random(7);
        var contrarian = Hash("contrarian");
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            foreach (var model in Models) db.Models.Add(new Model { Name = model, Kind = "baseline", Spec = "baseline:say?text=x" });
            var now = TimeProvider.System.GetUtcNow();
            void Vote(string visitor, Func<int, int, double, string> choose)
            {
                for (var n = 0; n < 30; n++)
                {
                    var i = random.Next(4);
                    var j = (i + 1 + random.Next(3)) % 4;
                    var pI = 1 / (1 + Math.Pow(10, (Strength[j] - Strength[i]) / 400));
                    var battle = new ArenaBattle
                    {
                        VisitorHash = visitor, Prompt = $"问题 {n}", ModelA = Models[i], ModelB = Models[j], AnswerA = "甲", AnswerB = "乙",
                        AnswerAFinishedAt = now, AnswerBFinishedAt = now, CreatedAt = now,
                    };
                    battle.Vote = new ArenaVote { Winner = choose(i, j, pI), VisitorHash = visitor, VotedAt = now };
                    db.ArenaBattles.Add(battle);
                }
            }
            for (var v = 0; v < 20; v++)
                Vote(Hash($"honest-{v}"), (_, _, p) => random.NextDouble() < p ? "model_a" : "model_b");
            Vote(contrarian, (i, j, _) => Strength[i] < Strength[j] ? "model_a" : "model_b");
            await db.SaveChangesAsync();
            await ArenaRatingsCalculator.SnapshotAsync(db, new ArenaRatingOptions { BootstrapRounds = 10 }, TimeProvider.System);
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Arena__RatingsIntervalSeconds"] = "3600",
        });

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetAsync("api/arena/voters")).StatusCode);
        var response = await app.AdminClient.GetAsync("api/arena/voters");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {app.Output}");
        var review = await response.Content.ReadFromJsonAsync<JsonElement>();
        var voters = review.GetProperty("voters").EnumerateArray().ToList();
        Assert.Equal(21, voters.Count);
        Assert.Equal([contrarian], voters.Where(v => v.GetProperty("flagged").GetBoolean()).Select(v => v.GetProperty("voter").GetString()));
        Assert.Equal(contrarian, voters[0].GetProperty("voter").GetString()); // worst agreement first
        Assert.Equal(0, voters[0].GetProperty("agreement").GetDouble());

        var noReason = await app.AdminClient.PostAsJsonAsync($"api/arena/voters/{contrarian}/exclude", new { reason = " " });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.True((await noReason.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.PostAsJsonAsync($"api/arena/voters/{contrarian}/exclude", new { reason = "outlier voter" })).StatusCode);
        var excluded = await app.AdminClient.PostAsJsonAsync($"api/arena/voters/{contrarian}/exclude", new { reason = "outlier voter" });
        Assert.Equal(HttpStatusCode.OK, excluded.StatusCode);
        Assert.Equal(30, (await excluded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("excluded").GetInt32());
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            Assert.Equal(30, await db.ArenaVotes.CountAsync(v => v.ExcludedReason == "outlier voter" && v.VisitorHash == contrarian));
            Assert.Equal(0, await db.ArenaVotes.CountAsync(v => v.ExcludedReason != null && v.VisitorHash != contrarian));
            Assert.Equal(600, (await ArenaRatingsCalculator.CountedBattlesAsync(db)).Count); // the ratings' input: honest votes only
        }

        var after = await app.AdminClient.GetFromJsonAsync<JsonElement>("api/arena/voters");
        Assert.DoesNotContain(after.GetProperty("voters").EnumerateArray(), v => v.GetProperty("voter").GetString() == contrarian);
        var listed = Assert.Single(after.GetProperty("excluded").EnumerateArray());
        Assert.Equal((contrarian, 30, "outlier voter"), (listed.GetProperty("voter").GetString(), listed.GetProperty("votes").GetInt32(), listed.GetProperty("reason").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await app.AdminClient.PostAsJsonAsync($"api/arena/voters/{contrarian}/exclude", new { reason = "again" })).StatusCode);
    }
}
