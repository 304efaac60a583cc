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
    }
}
