using Evals.Runner.Leaderboards;

namespace Evals.Web.Api;

public static class LeaderboardApi
{
    public static IEndpointRouteBuilder MapLeaderboardApi(this IEndpointRouteBuilder app)
    {
        // The same query as the page: GET /api/leaderboard?suite=&family=&from=yyyy-MM-dd&to=&sort=&dir=asc|desc&current=true&view=official|tasks
        // &page=N&size=M (one page of the sorted rows, ranks over all; without page: every row)&format=json|csv (csv: the page's table as a download).
        app.MapGet("/api/leaderboard", async Task<IResult> (
            LeaderboardQueries queries, string? suite, string? family, string? from, string? to, string? sort, string? dir, string? current, string? view,
            string? page, string? size, string? format, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            var (filter, errors) = LeaderboardFilter.Parse(suite, family, from, to, sort, dir, current, view, page, size);
            var csv = format?.Trim() switch
            {
                null or "" or "json" => false,
                "csv" => true,
                _ => !errors.TryAdd("format", [$"'{format}' is not json or csv"]),
            };
            if (filter is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);
            // Private suites as elsewhere: admins only (a private suite reads as an unknown one to others).
            var board = await queries.GetAsync(filter, await Admin.AdminAuth.IsAdminRequestAsync(http), ct);
            return csv
                ? TypedResults.File(System.Text.Encoding.UTF8.GetBytes(LeaderboardCsv.Write(board)), "text/csv; charset=utf-8",
                    $"leaderboard-{board.Suite ?? "none"}-{time.GetUtcNow():yyyyMMdd}.csv")
                : TypedResults.Ok(board);
        }).Produces<Leaderboard>().Produces(StatusCodes.Status200OK, contentType: "text/csv").ProducesValidationProblem()
            .RequireRateLimiting(Hosting.HeavyRequests.Policy);
        return app;
    }
}
