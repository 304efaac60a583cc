using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.Benchmarks.Experiments;
using Evals.TestKit;

namespace Evals.Web.Tests.Experiments;

public sealed class AbApiTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Experiments_are_created_with_a_stopping_rule_and_assign_users_deterministically()
    {
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false", ["Runner__Enabled"] = "false" });
        // Defining an experiment is an admin's job; assignment (below) is for applications and needs no key.
        var anonymous = await app.Client.PostAsJsonAsync("api/ab/experiments", new { name = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var created = await app.AdminClient.PostAsJsonAsync("api/ab/experiments", new
        {
            name = "greeting", variants = new[] { new { name = "A", weight = 70.0 }, new { name = "B", weight = 30.0 } }, stopping_rule = "confidence_sequence",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("always-valid confidence sequences", view.GetProperty("stopping_rule_description").GetString());

        var assigned = new Dictionary<string, string>();
        for (var u = 0; u < 200; u++)
        {
            var response = await app.Client.PostAsJsonAsync("api/ab/assign", new { experiment = "greeting", user_id = $"u{u}" });
            response.EnsureSuccessStatusCode();
            assigned[$"u{u}"] = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("variant").GetString()!;
        }
        Assert.Contains("A", assigned.Values);
        Assert.Contains("B", assigned.Values);
        var again = await (await app.Client.PostAsJsonAsync("api/ab/assign", new { experiment = "greeting", user_id = "u7" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(assigned["u7"], again.GetProperty("variant").GetString());

        var unknown = await app.Client.PostAsJsonAsync("api/ab/assign", new { experiment = "nope", user_id = "u1" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("unknown experiment 'nope'", await unknown.Content.ReadAsStringAsync());
        var bad = await app.Client.PostAsJsonAsync("api/ab/assign", new { experiment = "" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("experiment", out _));
        Assert.True(errors.TryGetProperty("user_id", out _));
        var noRule = await app.AdminClient.PostAsJsonAsync("api/ab/experiments", new { name = "x", variants = new[] { new { name = "A", weight = 1.0 }, new { name = "A", weight = 1.0 } } });
        Assert.Equal(HttpStatusCode.BadRequest, noRule.StatusCode);
        var noRuleErrors = (await noRule.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("declared twice", noRuleErrors.GetProperty("variants")[0].GetString());
        Assert.True(noRuleErrors.TryGetProperty("stopping_rule", out _));
    }
}
