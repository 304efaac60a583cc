using System.Text.Json;
using Evals.Runner.Arena;
using Evals.Storage;
using Evals.Web.Admin;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Arena;

/// <summary>
/// The arena over HTTP, for scripts and abuse tests: the same services as the page, so the same rules. The visitor is
/// the <see cref="VisitorCookie"/>, which must come from an earlier response (<c>GET /api/arena/visitor</c> issues one);
/// posts are JSON (a cross-site form cannot send it without a CORS preflight, and the cookie is SameSite=Lax). A request
/// a limit refuses is a 429 naming the limit and its window, with Retry-After.
/// </summary>
public static class ArenaApi
{
    public sealed record StartBattle(string? Prompt);
    public sealed record FollowUp(string? Prompt);
    public sealed record CastVote(string? Winner);
    public sealed record ExcludeVoter(string? Reason);

    public static IEndpointRouteBuilder MapArenaApi(this IEndpointRouteBuilder app)
    {
        var arena = app.MapGroup("/api/arena");
        // The cookie middleware issues the cookie on this response if the request had none; the answer says which.
        arena.MapGet("/visitor", (HttpContext http) => Results.Json(new { has_cookie = VisitorCookie.HashOf(http) is not null }));
        arena.MapPost("/battles", async (StartBattle? body, HttpContext http, ArenaBattles battles, CancellationToken ct) =>
        {
            try
            {
                var (battle, _) = await battles.StartAsync(VisitorCookie.HashOf(http), http.Connection.RemoteIpAddress, body?.Prompt, ct);
                return Results.Created($"/api/arena/battles/{battle.Id}", new { id = battle.Id });
            }
            catch (ArenaException e)
            {
                return e.Limit is { } limit ? Limited(http, limit) : Problem(e.Status, e.Message, e.Field);
            }
        }).Produces(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        arena.MapGet("/battles/{id:guid}", async (Guid id, HttpContext http, ArenaBattles battles, ArenaQueries queries, CancellationToken ct) =>
            await queries.BattleAsync(id, VisitorCookie.HashOf(http), battles.Live(id), ct) is { } view
                ? Results.Json(view)
                : Problem(StatusCodes.Status404NotFound, $"No battle {id} for this visitor.", null))
            .Produces(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status404NotFound);
        // A follow-up turn: both models answer the whole conversation; the vote comes after the last turn.
        arena.MapPost("/battles/{id:guid}/turns", async (Guid id, FollowUp? body, HttpContext http, ArenaBattles battles, CancellationToken ct) =>
        {
            try
            {
                var turn = await battles.ContinueAsync(id, VisitorCookie.HashOf(http), http.Connection.RemoteIpAddress, body?.Prompt, ct);
                return Results.Created($"/api/arena/battles/{id}", new { id, turn });
            }
            catch (ArenaException e)
            {
                return e.Limit is { } limit ? Limited(http, limit) : Problem(e.Status, e.Message, e.Field);
            }
        }).Produces(StatusCodes.Status201Created).ProducesValidationProblem()
          .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
          .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests);
        // Admins: the counted votes with their whole conversations, in Chatbot Arena's battle format (evals arena rate reads it).
        arena.MapGet("/battles/export", async (HttpContext http, IDbContextFactory<EvalsDbContext> dbFactory, CancellationToken ct) =>
        {
            IReadOnlyList<CountedConversation> battles;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
                battles = await ArenaRatingsCalculator.CountedConversationsAsync(db, ct);
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.Headers.ContentDisposition = "attachment; filename=\"arena-battles.json\"";
            await BattleExport.WriteAsync(http.Response.Body, battles, ct);
        }).RequireAdmin().Produces(StatusCodes.Status200OK, contentType: "application/json");
        arena.MapPost("/battles/{id:guid}/vote", async (Guid id, CastVote? body, HttpContext http, ArenaVoting voting, CancellationToken ct) =>
        {
            var outcome = await voting.VoteAsync(id, VisitorCookie.HashOf(http), http.Connection.RemoteIpAddress, body?.Winner, ct);
            if (outcome.Limit is { } limit) return Limited(http, limit);
            return outcome.Accepted
                ? Results.Json(new { accepted = true, counted = outcome.Counted, identified_by = outcome.IdentifiedBy, model_a = outcome.ModelA, model_b = outcome.ModelB, message = outcome.Message })
                : Problem(outcome.Status, outcome.Message, outcome.Status == StatusCodes.Status400BadRequest ? "winner" : null);
        }).Produces(StatusCodes.Status200OK).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests);
        arena.MapGet("/ratings", async (ArenaQueries queries, CancellationToken ct) =>
            await queries.LatestRatingsAsync(ct) is var (snapshot, ratings)
                ? Results.Json(new { computed_at = snapshot.ComputedAt, battles = snapshot.Battles, excluded = snapshot.Excluded, ratings })
                : Problem(StatusCodes.Status404NotFound, "No ratings yet: no snapshot has been computed.", null))
            .Produces(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status404NotFound);
        // Admins: the outlier-voter analysis (as on /admin/arena), and excluding all of one voter's votes.
        arena.MapGet("/voters", async (ArenaQueries queries, CancellationToken ct) =>
            await queries.VotersAsync(ct) is { } review
                ? Results.Json(new
                {
                    ratings_computed_at = review.RatingsComputedAt,
                    min_votes = review.Options.MinVotes,
                    z_threshold = review.Options.ZThreshold,
                    voters = review.Voters.Select(v => new
                    {
                        voter = v.Voter, votes = v.Votes, decisive = v.Decisive, mean_log_likelihood = Number(v.MeanLogLikelihood),
                        expected_mean_log_likelihood = Number(v.ExpectedMeanLogLikelihood), agreement = Number(v.Agreement),
                        expected_agreement = Number(v.ExpectedAgreement), z = Number(v.Z), flagged = v.Flagged,
                    }),
                    excluded = review.Excluded.Select(x => new { voter = x.VisitorHash, votes = x.Votes, reason = x.Reason }),
                })
                : Problem(StatusCodes.Status404NotFound, "No ratings yet: the analysis compares votes with the latest ratings snapshot.", null))
            .Produces(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status404NotFound).RequireAdmin();
        arena.MapPost("/voters/{voter}/exclude", async (string voter, ExcludeVoter? body, ArenaQueries queries, CancellationToken ct) =>
        {
            var (error, field, excluded) = await queries.ExcludeVoterAsync(voter, body?.Reason, "admin API", ct);
            return error is null ? Results.Json(new { excluded })
                : Problem(field is null ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, error, field);
        }).Produces(StatusCodes.Status200OK).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).RequireAdmin();
        return app;
    }

    private static double? Number(double value) => double.IsNaN(value) ? null : value;

    private static IResult Limited(HttpContext http, LimitRefusal limit)
    {
        var retryAfter = ArenaLimits.RetryAfterSeconds(limit.RetryAfter);
        http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(detail: limit.Message, statusCode: StatusCodes.Status429TooManyRequests, extensions: new Dictionary<string, object?>
        {
            ["limit"] = limit.Limit,
            ["window_seconds"] = limit.WindowSeconds,
            ["retry_after_seconds"] = retryAfter,
        });
    }

    private static IResult Problem(int status, string detail, string? field) => field is null
        ? Results.Problem(detail: detail, statusCode: status)
        : Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [detail] }, detail: detail, statusCode: status);
}
