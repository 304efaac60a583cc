using Evals.Storage;
using Evals.Web.Admin;
using Evals.Web.Experiments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Api;

public sealed record AssignRequest(string? Experiment, string? UserId);

public sealed record Assignment(string Experiment, string UserId, string Variant);

/// <summary>Online A/B: experiments and deterministic per-user assignment (<c>POST /api/ab/assign</c>).</summary>
public static class AbApi
{
    public static IEndpointRouteBuilder MapAbApi(this IEndpointRouteBuilder app)
    {
        var ab = app.MapGroup("/api/ab");
        ab.MapPost("/experiments", async Task<Results<Created<ExperimentView>, ValidationProblem, Conflict<string>>> (
            CreateExperimentRequest request, IDbContextFactory<EvalsDbContext> db, TimeProvider time, CancellationToken ct) =>
        {
            var errors = ExperimentQueries.Validate(request);
            if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
            var queries = new ExperimentQueries(db, time);
            if (!await queries.CreateAsync(request, ct)) return TypedResults.Conflict($"an experiment named '{request.Name}' exists");
            return TypedResults.Created($"/api/ab/experiments/{Uri.EscapeDataString(request.Name!.Trim())}", (await queries.GetAsync(request.Name!, ct))!);
        }).RequireAdmin();
        ab.MapGet("/experiments/{name}", async Task<Results<Ok<ExperimentView>, NotFound>> (string name, IDbContextFactory<EvalsDbContext> db, TimeProvider time, CancellationToken ct) =>
            await new ExperimentQueries(db, time).GetAsync(name, ct) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound());
        ab.MapPost("/assign", async Task<Results<Ok<Assignment>, ValidationProblem, ProblemHttpResult>> (
            AssignRequest request, IDbContextFactory<EvalsDbContext> db, TimeProvider time, CancellationToken ct) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (string.IsNullOrWhiteSpace(request.Experiment)) errors["experiment"] = ["required: the experiment's name"];
            if (string.IsNullOrWhiteSpace(request.UserId)) errors["user_id"] = ["required: a stable user identifier"];
            else if (request.UserId.Length > 256) errors["user_id"] = ["at most 256 characters"];
            if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
            var variant = await new ExperimentQueries(db, time).AssignAsync(request.Experiment!, request.UserId!, ct);
            return variant is null
                ? TypedResults.Problem($"unknown experiment '{request.Experiment}'", statusCode: StatusCodes.Status404NotFound)
                : TypedResults.Ok(new Assignment(request.Experiment!, request.UserId!, variant));
        });
        return app;
    }
}
