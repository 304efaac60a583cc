using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;

namespace Evals.Web.Tests.Hardening;

/// <summary>
/// Issue 18, finding 6: a regression suite's items are users' own inputs (promoted feedback traces), so its runs are
/// for admins only: the list, the run page and the APIs treat them as unknown for anyone else.
/// </summary>
public sealed class PrivateRunsTests(HardeningFixture fixture) : IClassFixture<HardeningFixture>
{
    [Fact]
    public async Task A_regression_suites_run_is_hidden_from_visitors_and_shown_to_admins()
    {
        var suiteName = $"reg-{Guid.NewGuid():N}"[..20];
        var run = new Run { Id = Guid.NewGuid(), ModelName = "bot", ModelSpec = "baseline:first", Config = "{}", Status = RunStatus.Succeeded, CreatedAt = TimeProvider.System.GetUtcNow() };
        await using (var db = Migrator.CreateContext(fixture.ConnectionString))
        {
            var suite = new Suite { Name = suiteName, Version = "v1", CreatedAt = TimeProvider.System.GetUtcNow() };
            db.Suites.Add(suite);
            db.RegressionItems.Add(new RegressionItem { Suite = suiteName, Key = "k1", Input = "我的私人问题", Reference = "答", AddedBy = "admin" });
            run.SuiteId = suite.Id;
            db.Runs.Add(run);
            await db.SaveChangesAsync();
        }

        foreach (var url in new[] { $"api/runs/{run.Id}", $"api/runs/{run.Id}/results" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await fixture.App.Client.GetAsync(url)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await fixture.App.AdminClient.GetAsync(url)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.App.Client.GetAsync($"api/runs/compare?a={run.Id}&b={run.Id}")).StatusCode);
        var anonymousList = await fixture.App.Client.GetFromJsonAsync<JsonElement>("api/runs?take=500");
        Assert.DoesNotContain(anonymousList.EnumerateArray(), r => r.GetProperty("id").GetGuid() == run.Id);
        var adminList = await fixture.App.AdminClient.GetFromJsonAsync<JsonElement>("api/runs?take=500");
        Assert.Contains(adminList.EnumerateArray(), r => r.GetProperty("id").GetGuid() == run.Id);
        var page = await fixture.App.Client.GetStringAsync($"runs/{run.Id}");
        Assert.Contains("Run not found", page);
        Assert.DoesNotContain(suiteName, page);

        // The leaderboard's suite list (page and API) names it to admins only.
        Assert.DoesNotContain(suiteName, SuitesOf(await fixture.App.Client.GetFromJsonAsync<JsonElement>("api/leaderboard")));
        Assert.Contains(suiteName, SuitesOf(await fixture.App.AdminClient.GetFromJsonAsync<JsonElement>("api/leaderboard")));
        Assert.DoesNotContain(suiteName, await fixture.App.Client.GetStringAsync("leaderboard"));
        Assert.Contains(suiteName, await fixture.App.AdminClient.GetStringAsync("leaderboard"));
    }

    private static List<string> SuitesOf(JsonElement board) => board.GetProperty("suites").EnumerateArray().Select(s => s.GetString()!).ToList();

    [Fact]
    public async Task A_suite_marked_private_in_its_suite_json_has_its_runs_shown_to_admins_only()
    {
        // A datasets folder of its own: the smoke suite, and "secret", the same tasks with "private": true.
        var datasets = Directory.CreateTempSubdirectory("evals-private-").FullName;
        try
        {
            CopyDirectory(Path.Combine(RepoPaths.Datasets, "smoke"), Path.Combine(datasets, "smoke"));
            CopyDirectory(Path.Combine(RepoPaths.Datasets, "smoke"), Path.Combine(datasets, "secret"));
            File.Copy(Path.Combine(RepoPaths.Datasets, "capabilities.json"), Path.Combine(datasets, "capabilities.json"));
            await File.WriteAllTextAsync(Path.Combine(datasets, "secret", "suite.json"), """{"name": "secret", "private": true}""");
            var connectionString = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync();
            await using var app = await WebApp.StartAsync(connectionString, new Dictionary<string, string>
            {
                ["Evals__SeedSmokeRuns"] = "false", ["Runner__Datasets"] = datasets,
            });
            var open = await SubmitAndWaitAsync(app, "smoke");
            var secret = await SubmitAndWaitAsync(app, "secret");

            foreach (var url in new[] { $"api/runs/{secret}", $"api/runs/{secret}/results", $"api/runs/compare?a={open}&b={secret}" })
            {
                Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync(url)).StatusCode);
                Assert.NotEqual(HttpStatusCode.NotFound, (await app.AdminClient.GetAsync(url)).StatusCode);
            }
            Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"api/runs/{open}/results")).StatusCode);
            var anonymousList = (await app.Client.GetFromJsonAsync<JsonElement>("api/runs")).EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToList();
            Assert.Contains(open, anonymousList);
            Assert.DoesNotContain(secret, anonymousList);
            Assert.Contains((await app.AdminClient.GetFromJsonAsync<JsonElement>("api/runs")).EnumerateArray(), r => r.GetProperty("id").GetGuid() == secret);
            Assert.Contains("Run not found", await app.Client.GetStringAsync($"runs/{secret}"));
            var comparePage = await app.Client.GetStringAsync($"runs/compare?a={open}&b={secret}");
            Assert.Contains($"b: no run has the id {secret}", comparePage);
            Assert.DoesNotContain("Disagree", comparePage, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret.ToString(), await app.Client.GetStringAsync("/"));

            // The leaderboard: the secret suite's run is the newest, yet a visitor's default view is the open suite's;
            // asked for by name it reads as unknown (no rows, no version), in JSON, CSV and on the page. Admins see it.
            var visitorDefault = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard");
            Assert.Equal("smoke", visitorDefault.GetProperty("suite").GetString());
            Assert.Equal(new[] { "smoke" }, visitorDefault.GetProperty("suites").EnumerateArray().Select(s => s.GetString()));
            Assert.Equal(open, Assert.Single(visitorDefault.GetProperty("rows").EnumerateArray()).GetProperty("run_id").GetGuid());
            var visitorSecret = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=secret");
            Assert.Empty(visitorSecret.GetProperty("rows").EnumerateArray());
            Assert.Equal(JsonValueKind.Null, visitorSecret.GetProperty("current_version").ValueKind);
            var visitorCsv = await app.Client.GetStringAsync("api/leaderboard?suite=secret&format=csv");
            Assert.DoesNotContain(secret.ToString(), visitorCsv);
            Assert.DoesNotContain("baseline:first", visitorCsv);
            var visitorPage = await app.Client.GetStringAsync("leaderboard?suite=secret");
            Assert.DoesNotContain(secret.ToString(), visitorPage);
            Assert.DoesNotContain("<option value=\"secret\"", visitorPage);
            var adminDefault = await app.AdminClient.GetFromJsonAsync<JsonElement>("api/leaderboard");
            Assert.Equal("secret", adminDefault.GetProperty("suite").GetString());
            Assert.Equal(secret, Assert.Single(adminDefault.GetProperty("rows").EnumerateArray()).GetProperty("run_id").GetGuid());
            Assert.Contains(secret.ToString(), await app.AdminClient.GetStringAsync("leaderboard?suite=secret"));
        }
        finally
        {
            Directory.Delete(datasets, recursive: true);
        }
    }

    private static async Task<Guid> SubmitAndWaitAsync(WebApp app, string suite)
    {
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = "baseline:first", suite });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        await Poll.UntilAsync(async () => (await app.AdminClient.GetFromJsonAsync<JsonElement>($"api/runs/{id}")).GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromSeconds(120), $"run {id} of {suite} to succeed", () => app.Output);
        return id;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
