using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.TestKit;

namespace Evals.Web.Tests.Runs;

public sealed class RunsApiTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Bad_submissions_get_400_naming_the_field_and_unknown_runs_404()
    {
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });

        // Starting, cancelling and retrying runs needs an admin; reading does not.
        var anonymous = await app.Client.PostAsJsonAsync("api/runs", new { model = "baseline:first", suite = "smoke" });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("admin", await anonymous.Content.ReadAsStringAsync());
        var v1Key = Evals.Storage.Entities.ApiKey.NewKey();
        await using (var db = Evals.Storage.Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new Evals.Storage.Entities.ApiKey { Name = "client", Scope = "v1", Hash = Evals.Storage.Entities.ApiKey.HashOf(v1Key), Prefix = v1Key[..10] });
            await db.SaveChangesAsync();
        }
        using (var wrongScope = new HttpRequestMessage(HttpMethod.Post, $"api/runs/{Guid.NewGuid()}/cancel"))
        {
            wrongScope.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", v1Key);
            Assert.Equal(HttpStatusCode.Forbidden, (await app.Client.SendAsync(wrongScope)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.PostAsync($"api/runs/{Guid.NewGuid()}/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.AdminClient.PostAsync($"api/runs/{Guid.NewGuid()}/cancel", null)).StatusCode);
        await using (var db = Evals.Storage.Migrator.CreateContext(database.ConnectionString))
            Assert.Equal(0, await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Runs));

        var badSuite = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = "baseline:first", suite = "nope" });
        Assert.Equal(HttpStatusCode.BadRequest, badSuite.StatusCode);
        var problem = await badSuite.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("unknown suite 'nope'", problem.GetProperty("errors").GetProperty("suite")[0].GetString());

        var badModel = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = "baseline:oracle", suite = "smoke" });
        Assert.Equal(HttpStatusCode.BadRequest, badModel.StatusCode);
        Assert.Contains("unknown baseline 'oracle'", (await badModel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("model")[0].GetString());

        var missing = await app.AdminClient.PostAsJsonAsync("api/runs", new { suite = "smoke" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.True((await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("model", out _));

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync($"api/runs/{Guid.NewGuid()}")).StatusCode);
        Assert.Contains("Run not found", await app.Client.GetStringAsync($"runs/{Guid.NewGuid()}"));
        Assert.Empty((await app.Client.GetFromJsonAsync<JsonElement>("api/runs")).EnumerateArray());
    }
}
