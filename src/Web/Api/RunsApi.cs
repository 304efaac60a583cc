using System.Text.Json;
using Evals.Runner.Runs;
using Evals.Storage.Entities;
using Evals.Web.Admin;
using Evals.Web.Hosting;
using Evals.Web.Runs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Evals.Web.Api;

public sealed record SubmitRunRequest(string? Model, string? Suite, int? Limit, int? Shots, string? Mode, int? Seed);

public static class RunsApi
{
    public const int MaxResultPage = 100_000;

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs");
        runs.MapGet("/", async Task<Results<Ok<IReadOnlyList<RunRow>>, ValidationProblem>> (RunQueries queries, HttpContext http, int? take, CancellationToken ct) =>
            take is < 1 or > 500
                ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["take"] = [$"must be between 1 and 500 (got {take})"] })
                : TypedResults.Ok(await queries.RecentAsync(take ?? 50, await AdminAuth.IsAdminRequestAsync(http), ct)));
        runs.MapGet("/{id:guid}", async Task<Results<ContentHttpResult, NotFound>> (Guid id, RunQueries queries, HttpContext http, CancellationToken ct) =>
            !await VisibleAsync(id, queries, http, ct) ? TypedResults.NotFound()
            : await queries.SummaryAsync(id, ct) is { } summary
                ? TypedResults.Content(JsonSerializer.Serialize(summary, RunSummary.Json), "application/json")
                : TypedResults.NotFound()).RequireRateLimiting(HeavyRequests.Policy);
        runs.MapGet("/{id:guid}/results", async Task<Results<Ok<ResultPage>, ValidationProblem, NotFound>> (Guid id, RunQueries queries, HttpContext http, string? filter,
            string? task, int? page, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            // page × 100 must stay an int (a negative OFFSET is a PostgreSQL error); no run has ten million results.
            if (page is < 0 or > MaxResultPage) errors["page"] = [$"must be between 0 and {MaxResultPage} (got {page})"];
            if (filter is not (null or "" or "all" or "wrong" or "failed")) errors["filter"] = [$"'{filter}' is not one of all, wrong, failed"];
            if (task is { Length: > 300 }) errors["task"] = [$"at most 300 characters (got {task.Length})"];
            if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
            if (!await VisibleAsync(id, queries, http, ct)) return TypedResults.NotFound();
            return TypedResults.Ok(await queries.ResultsAsync(id, string.IsNullOrEmpty(filter) ? "all" : filter, task, page ?? 0, 100, ct));
        }).RequireRateLimiting(HeavyRequests.Policy);
        runs.MapGet("/compare", async Task<Results<Ok<RunComparison>, ValidationProblem, ProblemHttpResult>> (string? a, string? b, RunComparisons comparisons,
            RunQueries queries, HttpContext http, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (!Guid.TryParse(a, out var runA)) errors["a"] = [$"'{a}' is not a run id"];
            if (!Guid.TryParse(b, out var runB)) errors["b"] = [$"'{b}' is not a run id"];
            if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
            foreach (var (field, run) in new[] { ("a", runA), ("b", runB) })
                if (!await VisibleAsync(run, queries, http, ct))
                    return TypedResults.Problem($"no run with id {run} ({field})", statusCode: StatusCodes.Status404NotFound);
            try
            {
                return TypedResults.Ok(await comparisons.CompareAsync(runA, runB, cancellationToken: ct));
            }
            catch (RunComparisonException e) when (e.NotFound)
            {
                return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status404NotFound);
            }
            catch (RunComparisonException e)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Field] = [e.Message] });
            }
        }).RequireRateLimiting(HeavyRequests.Policy);
        runs.MapPost("/", SubmitAsync).RequireAdmin();
        runs.MapPost("/{id:guid}/cancel", async Task<Results<Ok<string>, ProblemHttpResult>> (Guid id, RunControl control, CancellationToken ct) =>
        {
            try
            {
                var status = await control.CancelAsync(id, ct);
                return TypedResults.Ok(status == RunStatus.Cancelled ? "cancelled" : "cancellation requested");
            }
            catch (BadInputException e)
            {
                return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status404NotFound);
            }
        }).RequireAdmin();
        runs.MapPost("/{id:guid}/retry", async Task<Results<Accepted, ProblemHttpResult>> (Guid id, RunControl control, CancellationToken ct) =>
        {
            try
            {
                await control.RetryAsync(id, ct);
                return TypedResults.Accepted($"/api/runs/{id}");
            }
            catch (BadInputException e)
            {
                return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
            }
        }).RequireAdmin();
        // The CLI's `runs rescore`: a new run scoring this one's stored outputs again (same checks, one code path).
        runs.MapPost("/{id:guid}/rescore", async Task<Results<Created<RunCreated>, ProblemHttpResult>> (Guid id, Evals.Runner.Rescoring.RunRescorer rescorer,
            CancellationToken ct) =>
        {
            try
            {
                var run = await rescorer.SubmitAsync(id.ToString(), ct);
                return TypedResults.Created($"/api/runs/{run.Id}", new RunCreated(run.Id, run.TotalItems));
            }
            catch (BadInputException e)
            {
                return TypedResults.Problem(e.Message, statusCode: e.Message.StartsWith("no run with id", StringComparison.Ordinal)
                    ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest);
            }
        }).RequireAdmin();
        return app;
    }

    /// <summary>A private suite's run exists only for admins: anyone else gets the same 404 as for an unknown id.</summary>
    private static async Task<bool> VisibleAsync(Guid id, RunQueries queries, HttpContext http, CancellationToken ct) =>
        !await queries.IsPrivateAsync(id, ct) || await AdminAuth.IsAdminRequestAsync(http);

    private static async Task<Results<Created<RunCreated>, ValidationProblem>> SubmitAsync(SubmitRunRequest request, RunSubmitter submitter, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Model)) errors["model"] = ["required: a model spec or a registered model's name"];
        if (string.IsNullOrWhiteSpace(request.Suite)) errors["suite"] = ["required: a suite name"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var config = new RunConfig { Limit = request.Limit, Shots = request.Shots, Mode = request.Mode ?? "auto", Seed = request.Seed ?? 0 };
        try
        {
            var run = await submitter.SubmitAsync(new RunRequest(request.Model!, request.Suite!, config), ct);
            return TypedResults.Created($"/api/runs/{run.Id}", new RunCreated(run.Id, run.TotalItems));
        }
        catch (BadInputException e)
        {
            // The message names the field's value; put it under the field it most likely concerns.
            var field = e.Message.Contains("suite", StringComparison.OrdinalIgnoreCase) && !e.Message.Contains("model", StringComparison.OrdinalIgnoreCase) ? "suite"
                : e.Message.StartsWith("--", StringComparison.Ordinal) ? e.Message[2..e.Message.IndexOf(' ')] : "model";
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [e.Message] });
        }
    }
}

public sealed record RunCreated(Guid RunId, int TotalItems);
