using System.Text.Json;
using System.Threading.Channels;
using System.Threading.RateLimiting;
using Evals.Benchmarks.Models;
using Microsoft.AspNetCore.RateLimiting;

namespace Evals.Web.V1;

/// <summary>
/// The OpenAI-compatible API over the registered models: <c>GET /v1/models</c> and <c>POST /v1/chat/completions</c>
/// (plain and SSE-streamed), bearer keys of scope v1, a request-per-minute limit per key, and OpenAI's error shape.
/// </summary>
public static class V1Api
{
    public const string RateLimitPolicy = "v1-per-key";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IServiceCollection AddV1(this IServiceCollection services, IConfiguration configuration)
    {
        var defaultRpm = configuration.GetValue("V1:RequestsPerMinute", 600);
        if (defaultRpm < 1) throw new InvalidOperationException($"V1:RequestsPerMinute must be at least 1 (got {defaultRpm})");
        services.AddSingleton<ServedModels>();
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(RateLimitPolicy, context =>
            {
                // The key middleware ran first; each key gets its own window, sized by its own rpm or the default.
                var key = context.Items[ApiKeyMiddleware.ItemKey] as AuthenticatedKey;
                var rpm = key?.RequestsPerMinute ?? defaultRpm;
                return RateLimitPartition.GetFixedWindowLimiter($"{key?.Id}:{rpm}", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = rpm,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            o.OnRejected = async (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(60);
                rejected.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await OpenAiError.Result(StatusCodes.Status429TooManyRequests, "Rate limit reached for this API key; retry after the time in Retry-After.",
                    "rate_limit_exceeded", null, "rate_limit_exceeded").ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }

    /// <summary>Authentication for /v1; call before <c>UseRateLimiter</c>.</summary>
    public static IApplicationBuilder UseV1Keys(this IApplicationBuilder app) =>
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/v1"), b => b.UseMiddleware<ApiKeyMiddleware>("v1"));

    public static IEndpointRouteBuilder MapV1Api(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").RequireRateLimiting(RateLimitPolicy).DisableAntiforgery();
        v1.MapGet("/models", async (ServedModels models, CancellationToken ct) =>
        {
            var list = await models.ListAsync(ct);
            return TypedResults.Json(new
            {
                @object = "list",
                data = list.Select(m => new { id = m.Name, @object = "model", created = m.CreatedAt.ToUnixTimeSeconds(), owned_by = $"evals ({m.Kind})" }),
            });
        });
        v1.MapGet("/models/{name}", async (string name, ServedModels models, CancellationToken ct) =>
            (await models.ListAsync(ct)).FirstOrDefault(m => m.Name == name) is { } m
                ? TypedResults.Json(new { id = m.Name, @object = "model", created = m.CreatedAt.ToUnixTimeSeconds(), owned_by = $"evals ({m.Kind})" })
                : OpenAiError.UnknownModel(name));
        v1.MapPost("/chat/completions", ChatCompletionsAsync);
        // Anything else under /v1 answers in OpenAI's shape too, so clients show a useful message.
        v1.MapFallback(() => OpenAiError.Result(StatusCodes.Status404NotFound, "Unknown endpoint: this server serves GET /v1/models and POST /v1/chat/completions.",
            "invalid_request_error", null, "unknown_url"));
        return app;
    }

    private static async Task<IResult> ChatCompletionsAsync(HttpContext http, ServedModels models, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return OpenAiError.Invalid("body", $"The request body is not valid JSON: {e.Message}");
        }
        var (request, param, error) = ChatRequest.Parse(body);
        if (request is null) return OpenAiError.Invalid(param ?? "body", error!);
        IModelBackend? backend;
        try
        {
            backend = await models.GetAsync(request.Model, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            loggers.CreateLogger("Evals.Web.V1").LogError(e, "Model {Model} could not be loaded", request.Model);
            return OpenAiError.Result(StatusCodes.Status503ServiceUnavailable, $"The model '{request.Model}' could not be loaded: {e.Message}", "server_error", "model", "model_unavailable");
        }
        if (backend is null) return OpenAiError.UnknownModel(request.Model);
        if (!backend.Capabilities.Generate)
            return OpenAiError.Invalid("model", $"The model '{request.Model}' cannot generate text.");

        var id = $"chatcmpl-{Guid.NewGuid():N}";
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var generate = new GenerateRequest(new TaskContext("v1", null), id, request.Prompt(), request.Stop,
            new DecodingOptions(request.Temperature, request.TopP, request.MaxTokens, request.Seed));
        if (request.Stream) return new StreamResult(backend, generate, request, id, created);

        Generation generation;
        try
        {
            generation = await backend.GenerateAsync(generate, ct);
        }
        catch (ModelRefusedException e)
        {
            return OpenAiError.Result(StatusCodes.Status400BadRequest, e.Message, "invalid_request_error", "messages", "content_filter");
        }
        return TypedResults.Json(new
        {
            id,
            @object = "chat.completion",
            created,
            model = request.Model,
            choices = new[]
            {
                new { index = 0, message = new { role = "assistant", content = generation.Text }, logprobs = (object?)null, finish_reason = FinishReason(generation.FinishReason) },
            },
            usage = Usage(generation),
        });
    }

    private static object Usage(Generation g) => new { prompt_tokens = g.PromptTokens, completion_tokens = g.CompletionTokens, total_tokens = g.PromptTokens + g.CompletionTokens };

    /// <summary>OpenAI's names: an end-of-sequence token or a stop string is "stop", the token limit is "length".</summary>
    private static string FinishReason(string? reason) => reason switch
    {
        "length" => "length",
        "content_filter" => "content_filter",
        _ => "stop",
    };

    /// <summary>
    /// Server-sent events as OpenAI sends them: a role chunk, content chunks as the backend produces text, a chunk with
    /// the finish reason, a usage chunk when <c>stream_options.include_usage</c> asks for it, then <c>[DONE]</c>.
    /// </summary>
    private sealed class StreamResult(IModelBackend backend, GenerateRequest generate, ChatRequest request, string id, long created) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var generation = Task.Run(async () =>
            {
                try
                {
                    return await ServedModels.GenerateAsync(backend, generate, text => pieces.Writer.TryWrite(text), ct);
                }
                finally
                {
                    pieces.Writer.TryComplete();
                }
            }, ct);

            await WriteAsync(http, Chunk(new { role = "assistant", content = "" }, null), ct);
            var streamed = false;
            await foreach (var piece in pieces.Reader.ReadAllAsync(ct))
            {
                streamed = true;
                await WriteAsync(http, Chunk(new { content = piece }, null), ct);
            }
            Generation result;
            try
            {
                result = await generation;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Headers are gone: report the error as an event, as OpenAI does mid-stream.
                var type = e is ModelRefusedException ? "content_filter" : "server_error";
                await WriteAsync(http, new OpenAiError(new OpenAiError.Body(e.Message, type, null, type)), ct);
                await http.Response.WriteAsync("data: [DONE]\n\n", ct);
                return;
            }
            if (!streamed && result.Text.Length > 0) await WriteAsync(http, Chunk(new { content = result.Text }, null), ct);
            await WriteAsync(http, Chunk(new { }, FinishReason(result.FinishReason)), ct);
            if (request.IncludeUsage)
                await WriteAsync(http, new { id, @object = "chat.completion.chunk", created, model = request.Model, choices = Array.Empty<object>(), usage = Usage(result) }, ct);
            await http.Response.WriteAsync("data: [DONE]\n\n", ct);
        }

        private object Chunk(object delta, string? finishReason) => new
        {
            id,
            @object = "chat.completion.chunk",
            created,
            model = request.Model,
            choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finishReason } },
        };

        private static async Task WriteAsync(HttpContext http, object payload, CancellationToken ct)
        {
            await http.Response.WriteAsync("data: ", ct);
            await JsonSerializer.SerializeAsync(http.Response.Body, payload, payload.GetType(), Json, ct);
            await http.Response.WriteAsync("\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
        }
    }
}
