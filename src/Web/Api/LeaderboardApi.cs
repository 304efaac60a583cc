using Evals.Web.Leaderboards;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Evals.Web.Api;

public static class LeaderboardApi
{
    public static IEndpointRouteBuilder MapLeaderboardApi(this IEndpointRouteBuilder app)
    {
        // The same query as the page: GET /api/leaderboard?suite=&family=&from=yyyy-MM-dd&to=&sort=&dir=asc|desc&current=true
        app.MapGet("/api/leaderboard", async Task<Results<Ok<Leaderboard>, ValidationProblem>> (
            LeaderboardQueries queries, string? suite, string? family, string? from, string? to, string? sort, string? dir, string? current, CancellationToken ct) =>
        {
            var (filter, errors) = LeaderboardFilter.Parse(suite, family, from, to, sort, dir, current);
            if (filter is null) return TypedResults.ValidationProblem(errors);
            return TypedResults.Ok(await queries.GetAsync(filter, ct));
        }).RequireRateLimiting(Hosting.HeavyRequests.Policy);
        return app;
    }
}
