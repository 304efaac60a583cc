using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// A suite with a reference model (CUGE-style: capabilities average percentages of the reference run's scores): its
/// leaderboard rows are stored keyed by the reference run and served from storage, so a request reads neither the
/// reference run's results nor any other. Shown by changing the reference run's result rows behind the stored rows'
/// back: the leaderboard keeps the stored figures (which equal the run summary's) until a row is dropped, and the row
/// computed again then follows the changed results.
/// </summary>
public sealed class ReferenceRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private const string Reference = "reference-model";
    private const string Other = "other-model";

    [Fact]
    public async Task A_reference_suites_rows_are_served_from_storage_without_reading_the_reference_runs_results()
    {
        var datasets = DatasetsCopy.Manifests("evals-reference-");
        var treePath = Path.Combine(datasets, "capabilities.json");
        var tree = JsonNode.Parse(await File.ReadAllTextAsync(treePath))!;
        tree["reference_models"] = new JsonObject { ["smoke"] = Reference };
        await File.WriteAllTextAsync(treePath, tree.ToJsonString());
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.Models.Add(new Model { Id = Guid.NewGuid(), Name = Reference, Kind = "baseline", Spec = "baseline:first", CreatedAt = DateTimeOffset.Parse("2026-01-01T00:00:00Z") });
            db.Models.Add(new Model { Id = Guid.NewGuid(), Name = Other, Kind = "baseline", Spec = "baseline:random?seed=3", CreatedAt = DateTimeOffset.Parse("2026-01-02T00:00:00Z") });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Datasets"] = datasets,
        });
        var referenceRun = await RunAsync(app, Reference);
        var otherRun = await RunAsync(app, Other);

        var before = await RowAsync(app, otherRun);
        var summary = await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{otherRun}");
        Assert.Equal(summary.GetProperty("overall").GetDouble(), before.GetProperty("overall").GetDouble(), 6);
        Assert.Equal(referenceRun, Assert.Single(await StoredReferencesAsync(otherRun)));

        // The reference run's results change without a status change (nothing drops the stored rows): every item right.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            Assert.True(await db.Database.ExecuteSqlAsync($"update results set outcome = 'correct', score = 100, parsed = reference where run_id = {referenceRun}") > 0);
        var served = await RowAsync(app, otherRun);
        Assert.Equal(before.GetProperty("overall").GetDouble(), served.GetProperty("overall").GetDouble());
        Assert.Equal(before.GetProperty("capabilities").ToString(), served.GetProperty("capabilities").ToString());

        // Dropping the stored row makes the leaderboard compute it, reading the reference run's (changed) results now.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            await db.Database.ExecuteSqlAsync($"delete from run_scores where run_id = {otherRun}");
        var recomputed = await RowAsync(app, otherRun);
        Assert.NotEqual(before.GetProperty("overall").GetDouble(), recomputed.GetProperty("overall").GetDouble());
        Assert.Equal(referenceRun, Assert.Single(await StoredReferencesAsync(otherRun)));
    }

    private static async Task<Guid> RunAsync(WebApp app, string model)
    {
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model, suite = "smoke" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        await Poll.UntilAsync(async () => (await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{id}")).GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromSeconds(120), $"run {id} to succeed", () => app.Output);
        return id;
    }

    private static async Task<JsonElement> RowAsync(WebApp app, Guid run)
    {
        var board = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=smoke");
        return Assert.Single(board.GetProperty("rows").EnumerateArray(), r => r.GetProperty("run_id").GetGuid() == run);
    }

    private async Task<List<Guid>> StoredReferencesAsync(Guid run)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.Database.SqlQuery<Guid>($"select reference_run_id as \"Value\" from run_scores where run_id = {run}").ToListAsync();
    }
}
