using System.Net;
using System.Text.RegularExpressions;
using Evals.TestKit;
using Npgsql;

namespace Evals.Web.Tests.Hardening;

/// <summary>
/// A request that fails inside the app, in Production, over real HTTP: the visitor gets the plain error page with a
/// request id and nothing of the exception; the server log has the exception and the same id.
/// </summary>
public sealed partial class ProductionErrorPageTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task An_unhandled_failure_shows_the_error_page_with_a_request_id_and_no_stack_trace()
    {
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Enabled"] = "false",
        });
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("api/runs")).StatusCode);

        // A real fault the app does not expect: the runs table is gone from under it (this class's own database).
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var rename = new NpgsqlCommand("ALTER TABLE runs RENAME TO runs_moved_away", connection);
            await rename.ExecuteNonQueryAsync();
        }

        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/runs");
            request.Headers.Accept.ParseAdd("text/html");
            using var response = await app.Client.SendAsync(request);
            var page = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.InternalServerError, $"{(int)response.StatusCode}: {page}");
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("出错了 · Error", page);
            foreach (var leak in new[] { "Npgsql", "PostgresException", "runs_moved_away", "42P01", "relation", " at Evals.", ".cs:line", "StackTrace" })
                Assert.DoesNotContain(leak, page);
            var id = RequestId().Match(page);
            Assert.True(id.Success, page);
            ids.Add(WebUtility.HtmlDecode(id.Groups[1].Value));
        }
        Assert.Equal(2, ids.Distinct().Count());

        // The operator can find each quoted id in the log, beside the exception that the visitor did not see.
        await app.WaitForOutputAsync($"Error page shown for request {ids[1]} (GET /api/runs): PostgresException", TimeSpan.FromSeconds(30));
        Assert.Contains($"Error page shown for request {ids[0]} (GET /api/runs): PostgresException", app.Output);
        Assert.Contains("42P01", app.Output);
    }

    [GeneratedRegex("<code class=\"request-id\">([^<]+)</code>")]
    private static partial Regex RequestId();
}
