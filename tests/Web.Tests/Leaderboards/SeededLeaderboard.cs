using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// The web app over its own database and its own copy of the datasets, with real runs executed by its worker: two
/// versions of the smoke suite (the copy gains one sentiment item in between), registered checkpoints of one family (one
/// accepted), a model that was only ever run on the older version, and the random and majority baselines.
/// </summary>
public sealed class SeededLeaderboard : IAsyncLifetime
{
    public const string Family = "qwen-mini";
    public static readonly string[] Checkpoints = ["qwen-ckpt1", "qwen-ckpt2", "qwen-ckpt3"];
    public const string OldOnly = "legacy-model";
    public const string Random = "baseline:random?seed=11";
    public const string Majority = "baseline:majority";

    private string _datasets = "";

    public WebApp App { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";
    /// <summary>Each model's run on the older version (only some have one) and on the current version.</summary>
    public Dictionary<string, Guid> OldRuns { get; } = [];
    public Dictionary<string, Guid> CurrentRuns { get; } = [];

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.SharedAsync();
        ConnectionString = await cluster.CreateDatabaseAsync();
        _datasets = Directory.CreateTempSubdirectory("evals-leaderboard-").FullName;
        CopyDirectory(Path.Combine(RepoPaths.Datasets, "smoke"), Path.Combine(_datasets, "smoke"));
        File.Copy(Path.Combine(RepoPaths.Datasets, "capabilities.json"), Path.Combine(_datasets, "capabilities.json"));

        var registered = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
        await using (var db = Migrator.CreateContext(ConnectionString))
        {
            string[] specs = ["baseline:random?seed=1", "baseline:first", "baseline:random?seed=7"];
            for (var i = 0; i < Checkpoints.Length; i++)
                db.Models.Add(new Model
                {
                    Id = Guid.NewGuid(), Name = Checkpoints[i], Kind = "baseline", Spec = specs[i], Family = Family, Checkpoint = $"step-{(i + 1) * 1000}",
                    CreatedAt = registered.AddDays(i), AcceptedAt = i == 1 ? registered.AddDays(10) : null,
                });
            db.Models.Add(new Model { Id = Guid.NewGuid(), Name = OldOnly, Kind = "baseline", Spec = "baseline:random?seed=2", Family = "legacy", CreatedAt = registered });
            await db.SaveChangesAsync();
        }

        App = await WebApp.StartAsync(ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Datasets"] = _datasets,
        });
        foreach (var model in new[] { OldOnly, Checkpoints[0], Majority })
            OldRuns[model] = await SubmitAsync(model);
        await WaitAsync(OldRuns.Values);

        // A new version of the suite: the sentiment task gains an item.
        await File.AppendAllTextAsync(Path.Combine(_datasets, "smoke", "sentiment", "test.jsonl"),
            "{\"id\": \"sentiment-test-900\", \"text\": \"物流很快，包装完好，东西和描述一致。\", \"label\": \"1\"}\n");
        foreach (var model in Checkpoints.Append(Random).Append(Majority))
            CurrentRuns[model] = await SubmitAsync(model);
        await WaitAsync(CurrentRuns.Values);
    }

    private async Task<Guid> SubmitAsync(string model)
    {
        var created = await App.AdminClient.PostAsJsonAsync("api/runs", new { model, suite = "smoke" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
    }

    private async Task WaitAsync(IEnumerable<Guid> runs)
    {
        foreach (var id in runs)
        {
            string? status = null;
            await Poll.UntilAsync(async () =>
            {
                status = (await App.Client.GetFromJsonAsync<JsonElement>($"api/runs/{id}")).GetProperty("status").GetString();
                return status is "succeeded" or "failed" or "cancelled";
            }, TimeSpan.FromSeconds(120), $"run {id} to finish", () => App.Output);
            Assert.Equal("succeeded", status);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        try
        {
            Directory.Delete(_datasets, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
