using System.Text.Json;

namespace Evals.Web.Arena;

/// <summary>
/// The arena over HTTP, for scripts and abuse tests: the same services as the page, so the same rules. The visitor is
/// the <see cref="VisitorCookie"/>; posts are JSON (a cross-site form cannot send it without a CORS preflight, and the
/// cookie is SameSite=Lax).
/// </summary>
public static class ArenaApi
{
    public sealed record StartBattle(string? Prompt);
    public sealed record CastVote(string? Winner);

    public static IEndpointRouteBuilder MapArenaApi(this IEndpointRouteBuilder app)
    {
        var arena = app.MapGroup("/api/arena");
        arena.MapPost("/battles", async (StartBattle? body, HttpContext http, ArenaBattles battles, CancellationToken ct) =>
        {
            try
            {
                var (battle, _) = await battles.StartAsync(VisitorCookie.HashOf(http), http.Connection.RemoteIpAddress, body?.Prompt, ct);
                return Results.Created($"/api/arena/battles/{battle.Id}", new { id = battle.Id });
            }
            catch (ArenaException e)
            {
                return Problem(e.Status, e.Message, e.Field);
            }
        });
        arena.MapGet("/battles/{id:guid}", async (Guid id, HttpContext http, ArenaBattles battles, ArenaQueries queries, CancellationToken ct) =>
            await queries.BattleAsync(id, VisitorCookie.HashOf(http), battles.Live(id), ct) is { } view
                ? Results.Json(view)
                : Problem(StatusCodes.Status404NotFound, $"No battle {id} for this visitor.", null));
        arena.MapPost("/battles/{id:guid}/vote", async (Guid id, CastVote? body, HttpContext http, ArenaVoting voting, CancellationToken ct) =>
        {
            var outcome = await voting.VoteAsync(id, VisitorCookie.HashOf(http), http.Connection.RemoteIpAddress, body?.Winner, ct);
            return outcome.Accepted
                ? Results.Json(new { accepted = true, counted = outcome.Counted, identified_by = outcome.IdentifiedBy, model_a = outcome.ModelA, model_b = outcome.ModelB, message = outcome.Message })
                : Problem(outcome.Status, outcome.Message, outcome.Status == StatusCodes.Status400BadRequest ? "winner" : null);
        });
        arena.MapGet("/ratings", async (ArenaQueries queries, CancellationToken ct) =>
            await queries.LatestRatingsAsync(ct) is var (snapshot, ratings)
                ? Results.Json(new { computed_at = snapshot.ComputedAt, battles = snapshot.Battles, excluded = snapshot.Excluded, ratings })
                : Problem(StatusCodes.Status404NotFound, "No ratings yet: no snapshot has been computed.", null));
        return app;
    }

    private static IResult Problem(int status, string detail, string? field) => field is null
        ? Results.Problem(detail: detail, statusCode: status)
        : Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [detail] }, detail: detail, statusCode: status);
}
