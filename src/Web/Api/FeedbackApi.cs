using System.Text.Json;
using Evals.Benchmarks.Feedback;
using Evals.Web.Feedback;
using Evals.Web.Hosting;
using Evals.Web.V1;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Evals.Web.Api;

/// <summary>
/// <c>POST /api/feedback</c>: one event (a JSON object) or a batch (an array of up to <see cref="FeedbackIngestion.MaxBatch"/>).
/// Bearer keys of scope <c>feedback</c>; a request-per-minute window per key, shared by every web node; a body-size limit. Answers:
/// 200 <c>{accepted, duplicates, rejected[]}</c> when at least one event is valid (a partly valid batch stores its valid
/// events and lists each invalid one by index with its fields); 400 problem details naming every bad field (as
/// <c>field</c> for one event, <c>[index].field</c> in a batch) when none is; 401 no or unknown key; 403 a key of another
/// scope; 413 body too large; 429 over the key's rate; 503 the database did not store the events (nothing was
/// acknowledged: resend; event ids make a resend safe). An event without model, input and output rates a trace sent to
/// <c>/api/otel/v1/traces</c> (see <c>FeedbackIngestion</c>).
/// </summary>
public static class FeedbackApi
{
    public const string Path = "/api/feedback";

    public static IServiceCollection AddFeedbackApi(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new FeedbackApiOptions();
        configuration.GetSection("Feedback").Bind(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<FeedbackGroupCommit>();
        services.AddHostedService(sp => sp.GetRequiredService<FeedbackGroupCommit>());
        services.AddSingleton<FeedbackIngestion>();
        services.AddSingleton<Feedback.Otlp.OtlpTraceIngestion>();
        services.AddSingleton<FeedbackQueries>();
        services.AddSingleton<TraceQueries>();
        services.AddSingleton<RegressionPromotion>();
        services.TryAddSingleton<SharedLimitCounters>();
        return services;
    }

    /// <summary>
    /// Authentication for posting feedback and OTLP traces (the aggregate GETs are public); call before the endpoints run:
    /// they read the key this sets. Keys found are remembered, because the group commit checks each request's key again
    /// (<see cref="FeedbackGroupCommit"/>).
    /// </summary>
    public static IApplicationBuilder UseFeedbackKeys(this IApplicationBuilder app) =>
        app.UseWhen(c => HttpMethods.IsPost(c.Request.Method) && (IsExactly(c.Request.Path, Path) || IsExactly(c.Request.Path, OtlpTracesApi.Path)), b => b.UseMiddleware<ApiKeyMiddleware>("feedback",
            new ApiKeyRefusal(Unauthorized), app.ApplicationServices.GetRequiredService<FeedbackGroupCommit>().Keys));

    private static IResult Unauthorized(int status, string message) =>
        TypedResults.Problem(message, statusCode: status, title: status == 401 ? "Unauthorized" : "Forbidden");

    private static bool IsExactly(PathString path, string route) => path.StartsWithSegments(route, out var rest) && rest.Value is null or "" or "/";

    public static IEndpointRouteBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, PostAsync).DisableAntiforgery().SecuredBy(ApiSecurity.FeedbackKey)
            .Accepts<JsonElement>("application/json")
            .Produces<IngestionResult>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapFeedbackPromotion();
        // Aggregates only (no user text), so public like the leaderboards; traces are on the admin page.
        app.MapGet(Path + "/summary", async (FeedbackQueries queries, int? days, CancellationToken ct) =>
            days is < 1 or > 366
                ? Results.ValidationProblem(new Dictionary<string, string[]> { ["days"] = [$"must be between 1 and 366 (got {days})"] })
                : Results.Ok(await queries.SummaryAsync(days ?? 28, ct))).Produces<FeedbackSummary>().ProducesValidationProblem()
            .RequireRateLimiting(Hosting.HeavyRequests.Policy);
        app.MapGet(Path + "/drift", async (FeedbackQueries queries, CancellationToken ct) =>
        {
            var models = await queries.DriftAsync(ct);
            return TypedResults.Ok(new { policy = DriftPolicy.Default, alerts = models.Where(m => m.Drift.Alert), models });
        });
        return app;
    }

    private static async Task<IResult> PostAsync(HttpContext http, FeedbackIngestion ingestion, FeedbackApiOptions options, CancellationToken ct)
    {
        var key = (AuthenticatedKey)http.Items[ApiKeyMiddleware.ItemKey]!;
        if (http.Request.ContentLength > options.MaxBodyBytes) return TooLarge(options);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxBodyBytes;

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            return Invalid(new Dictionary<string, string[]> { ["body"] = [$"not valid JSON: {e.Message}"] }, []);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(options);
        }

        using (body)
        {
            var root = body.RootElement;
            var batch = root.ValueKind == JsonValueKind.Array;
            List<JsonElement> events = batch ? root.EnumerateArray().ToList() : [root];
            if (batch && events.Count == 0)
                return Invalid(new Dictionary<string, string[]> { ["body"] = ["an empty batch: send one event object or an array of 1 to 1000 events"] }, []);
            if (events.Count > FeedbackIngestion.MaxBatch)
                return Invalid(new Dictionary<string, string[]> { ["body"] = [$"a batch holds at most {FeedbackIngestion.MaxBatch} events (got {events.Count})"] }, []);

            IngestionResult result;
            using var activity = Hosting.WebTelemetry.Source.StartActivity("evals.feedback.ingest");
            try
            {
                result = await ingestion.IngestAsync(events, key.Id, ct);
                Hosting.WebTelemetry.FeedbackEvents.Add(result.Accepted, Hosting.WebTelemetry.Result("accepted"));
                Hosting.WebTelemetry.FeedbackEvents.Add(result.Duplicates, Hosting.WebTelemetry.Result("duplicate"));
                Hosting.WebTelemetry.FeedbackEvents.Add(result.Rejected.Count, Hosting.WebTelemetry.Result("rejected"));
                activity?.SetTag("evals.feedback.accepted", result.Accepted);
                activity?.SetTag("evals.feedback.duplicates", result.Duplicates);
                activity?.SetTag("evals.feedback.rejected", result.Rejected.Count);
            }
            catch (Exception e) when (e is FeedbackUnavailableException or FeedbackRefusedException)
            {
                return NotStored(http, e, "Feedback not stored");
            }
            if (result.Rejected.Count < events.Count) return TypedResults.Ok(result);
            var errors = result.Rejected.SelectMany(r => r.Errors.Select(f => (Field: batch ? $"[{r.Index}]{(f.Key == "" ? "" : "." + f.Key)}" : f.Key == "" ? "body" : f.Key, f.Value)))
                .ToDictionary(f => f.Field, f => f.Value);
            return Invalid(errors, result.Rejected);
        }
    }

    private static IResult Invalid(Dictionary<string, string[]> errors, IReadOnlyList<RejectedEvent> rejected) =>
        TypedResults.ValidationProblem(errors, title: "No valid feedback event in the request",
            extensions: new Dictionary<string, object?> { ["accepted"] = 0, ["duplicates"] = 0, ["rejected"] = rejected });

    private static IResult TooLarge(FeedbackApiOptions options) =>
        TypedResults.Problem($"the body is larger than {options.MaxBodyBytes} bytes; send smaller batches", statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Request body too large");

    /// <summary>
    /// A request the group commit did not store: 401 (key no longer active), 429 with Retry-After (over the key's rate, one
    /// fixed one-minute window per key shared by every web node), or 503 with Retry-After 1 (not stored: resend).
    /// </summary>
    internal static IResult NotStored(HttpContext http, Exception e, string unavailableTitle)
    {
        if (e is FeedbackRefusedException { Status: StatusCodes.Status401Unauthorized } revoked) return Unauthorized(revoked.Status, revoked.Message);
        var (status, title, retryAfter) = e is FeedbackRefusedException refused
            ? (refused.Status, "Too many requests", refused.RetryAfter ?? TimeSpan.FromSeconds(1))
            : (StatusCodes.Status503ServiceUnavailable, unavailableTitle, TimeSpan.FromSeconds(1));
        http.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(e.Message, statusCode: status, title: title);
    }
}

/// <summary>Settings under <c>Feedback</c> (environment: <c>Feedback__RequestsPerMinute</c>, <c>Feedback__MaxBodyBytes</c>).</summary>
public sealed class FeedbackApiOptions
{
    /// <summary>Requests per minute per key when the key sets none.</summary>
    public int RequestsPerMinute { get; set; } = 600;
    /// <summary>A full batch of 1,000 short events is about 0.5 MB.</summary>
    public long MaxBodyBytes { get; set; } = 4 * 1024 * 1024;
    /// <summary>Groups written at once by this node (each on its own connection).</summary>
    public int GroupCommitWriters { get; set; } = 2;
    /// <summary>Most events in one group commit (a group takes whole requests, so one large batch may exceed it).</summary>
    public int GroupCommitMaxRows { get; set; } = 5_000;

    public void Validate()
    {
        if (RequestsPerMinute < 1) throw new InvalidOperationException($"Feedback:RequestsPerMinute must be at least 1 (got {RequestsPerMinute})");
        if (GroupCommitWriters is < 1 or > 64) throw new InvalidOperationException($"Feedback:GroupCommitWriters must be between 1 and 64 (got {GroupCommitWriters})");
        if (GroupCommitMaxRows < 1) throw new InvalidOperationException($"Feedback:GroupCommitMaxRows must be at least 1 (got {GroupCommitMaxRows})");
        if (MaxBodyBytes < 1024) throw new InvalidOperationException($"Feedback:MaxBodyBytes must be at least 1024 (got {MaxBodyBytes})");
    }
}
