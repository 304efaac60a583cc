using System.Text.Json;
using System.Threading.Channels;
using System.Threading.RateLimiting;
using Evals.Benchmarks.Models;
using Evals.Web.Api;
using Microsoft.AspNetCore.RateLimiting;

namespace Evals.Web.V1;

/// <summary>
/// The OpenAI-compatible API over the registered models: <c>GET /v1/models</c>, <c>POST /v1/chat/completions</c> and the
/// legacy <c>POST /v1/completions</c> (echo and token logprobs, for log-likelihood scoring), plain and SSE-streamed; bearer
/// keys of scope v1, a request-per-minute limit per key, and OpenAI's error shape.
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
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/v1"), 
            // OpenAI clients expect 401 for any refused key, a key of another scope included.
            b => b.UseMiddleware<ApiKeyMiddleware>("v1", new ApiKeyRefusal((_, message) => OpenAiError.Unauthorized(message))));

    public static IEndpointRouteBuilder MapV1Api(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").RequireRateLimiting(RateLimitPolicy).DisableAntiforgery().SecuredByV1Key();
        v1.MapGet("/models", async (ServedModels models, CancellationToken ct) =>
        {
            var list = await models.ListAsync(ct);
            return TypedResults.Json(new
            {
                @object = "list",
                data = list.Select(m => new { id = m.Name, @object = "model", created = m.CreatedAt.ToUnixTimeSeconds(), owned_by = $"evals ({m.Kind})" }),
            });
        }).Produces<OpenAiModelList>();
        v1.MapGet("/models/{name}", async (string name, ServedModels models, CancellationToken ct) =>
            (await models.ListAsync(ct)).FirstOrDefault(m => m.Name == name) is { } m
                ? TypedResults.Json(new { id = m.Name, @object = "model", created = m.CreatedAt.ToUnixTimeSeconds(), owned_by = $"evals ({m.Kind})" })
                : OpenAiError.UnknownModel(name)).Produces<OpenAiModel>().Produces<OpenAiError>(StatusCodes.Status404NotFound);
        // The bodies are read by hand (to name the bad field in OpenAI's shape); the documented shapes are OpenAI's.
        v1.MapPost("/chat/completions", ChatCompletionsAsync).Accepts<OpenAiChatRequest>("application/json")
            .Produces<OpenAiChatCompletion>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .Produces<OpenAiError>(StatusCodes.Status400BadRequest).Produces<OpenAiError>(StatusCodes.Status404NotFound);
        v1.MapPost("/completions", CompletionsAsync).Accepts<OpenAiCompletionRequest>("application/json")
            .Produces<OpenAiCompletion>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .Produces<OpenAiError>(StatusCodes.Status400BadRequest).Produces<OpenAiError>(StatusCodes.Status404NotFound);
        // Anything else under /v1 answers in OpenAI's shape too, so clients show a useful message.
        v1.MapFallback(() => OpenAiError.Result(StatusCodes.Status404NotFound, "Unknown endpoint: this server serves GET /v1/models, POST /v1/chat/completions and POST /v1/completions.",
            "invalid_request_error", null, "unknown_url")).ExcludeFromDescription();
        return app;
    }

    private static async Task<(JsonElement Body, IResult? Error)> ReadBodyAsync(HttpContext http, CancellationToken ct)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            if (LoneSurrogateAt(document.RootElement, "") is { } path)
                return (default, OpenAiError.Invalid(path.Length == 0 ? "body" : path.TrimStart('.'),
                    $"The string at '{(path.Length == 0 ? "$" : "$" + path)}' holds a lone UTF-16 surrogate (an escaped \\ud800–\\udfff without its pair), which is no text."));
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (default, OpenAiError.Invalid("body", $"The request body is not valid JSON: {e.Message}"));
        }
    }

    /// <summary>
    /// The JSON path of the first string (or property name) that escapes half of a surrogate pair: valid JSON, but no
    /// .NET string, so reading it would throw deep inside a handler. Null when every string is text.
    /// </summary>
    private static string? LoneSurrogateAt(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                try
                {
                    element.GetString();
                    return null;
                }
                catch (InvalidOperationException)
                {
                    return path;
                }
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    if (LoneSurrogateAt(item, $"{path}[{index++}]") is { } found) return found;
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path;
                    }
                    if (LoneSurrogateAt(property.Value, $"{path}.{name}") is { } found) return found;
                }
                return null;
            default:
                return null;
        }
    }

    private static async Task<(IModelBackend? Backend, IResult? Error)> BackendAsync(ServedModels models, string model, ILoggerFactory loggers, CancellationToken ct)
    {
        try
        {
            return await models.GetAsync(model, ct) is { } backend ? (backend, null) : (null, OpenAiError.UnknownModel(model));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            loggers.CreateLogger("Evals.Web.V1").LogError(e, "Model {Model} could not be loaded", model);
            return (null, OpenAiError.Result(StatusCodes.Status503ServiceUnavailable, $"The model '{model}' could not be loaded: {e.Message}", "server_error", "model", "model_unavailable"));
        }
    }

    private static async Task<IResult> ChatCompletionsAsync(HttpContext http, ServedModels models, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        var (body, invalid) = await ReadBodyAsync(http, ct);
        if (invalid is not null) return invalid;
        var (request, param, error) = ChatRequest.Parse(body);
        if (request is null) return OpenAiError.Invalid(param ?? "body", error!);
        var (backend, unavailable) = await BackendAsync(models, request.Model, loggers, ct);
        if (backend is null) return unavailable!;
        if (!backend.Capabilities.Generate)
            return OpenAiError.Invalid("model", $"The model '{request.Model}' cannot generate text.");

        var id = $"chatcmpl-{Guid.NewGuid():N}";
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var generate = request.ToGenerateRequest(id);
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
        catch (ArgumentException e)
        {
            // A conversation for a model without a chat template (or served with chat=off): nothing the client sent can be joined right.
            return OpenAiError.Invalid("messages", $"The messages cannot be used: {e.Message}.");
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

    private static async Task<IResult> CompletionsAsync(HttpContext http, ServedModels models, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        var (body, invalid) = await ReadBodyAsync(http, ct);
        if (invalid is not null) return invalid;
        var (request, param, error) = CompletionRequest.Parse(body);
        if (request is null) return OpenAiError.Invalid(param ?? "body", error!);
        var (backend, unavailable) = await BackendAsync(models, request.Model, loggers, ct);
        if (backend is null) return unavailable!;
        if (backend is not ICompletionModelBackend)
        {
            // Echo alone is only text; logprobs need the model's distribution over tokens, which only in-process models expose.
            if (request.Logprobs is not null)
                return OpenAiError.Invalid("logprobs", $"The model '{request.Model}' ({backend.Description}) cannot give token log-probabilities: " +
                    "only models run in-process (onnx:) can. Leave out 'logprobs', or score with an onnx model.");
            if (!backend.Capabilities.Generate && request.MaxTokens > 0)
                return OpenAiError.Invalid("model", $"The model '{request.Model}' cannot generate text.");
        }

        var id = $"cmpl-{Guid.NewGuid():N}";
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        if (request.Stream) return new CompletionStreamResult(backend, request, id, created);
        TextCompletion completion;
        try
        {
            completion = await CompleteAsync(backend, request, null, ct);
        }
        catch (ModelRefusedException e)
        {
            return OpenAiError.Result(StatusCodes.Status400BadRequest, e.Message, "invalid_request_error", "prompt", "content_filter");
        }
        catch (ArgumentException e)
        {
            return OpenAiError.Invalid("prompt", $"The prompt cannot be used: {e.Message}.");
        }
        return TypedResults.Json(new
        {
            id,
            @object = "text_completion",
            created,
            model = request.Model,
            choices = new[]
            {
                new { index = 0, text = (request.Echo ? request.Prompt : "") + completion.Text, logprobs = Logprobs(completion), finish_reason = FinishReason(completion.FinishReason) },
            },
            usage = new { prompt_tokens = completion.PromptTokens, completion_tokens = completion.CompletionTokens, total_tokens = completion.PromptTokens + completion.CompletionTokens },
        });
    }

    /// <summary>A completion from any backend: in-process models continue the raw prompt; others generate from it as a prompt.</summary>
    private static async Task<TextCompletion> CompleteAsync(IModelBackend backend, CompletionRequest request, Action<string>? onText, CancellationToken ct)
    {
        var decoding = new DecodingOptions(request.Temperature, request.TopP, request.MaxTokens, request.Seed);
        if (backend is ICompletionModelBackend completer)
            return await completer.CompleteAsync(new TextCompletionRequest(request.Prompt, request.Stop, decoding, request.Echo, request.Logprobs), onText, ct);
        if (request.MaxTokens == 0) return new TextCompletion("", 0, 0, "length", null);
        var generate = new GenerateRequest(new TaskContext("v1", null), $"cmpl", request.Prompt, request.Stop, decoding);
        var generation = onText is not null && backend is IStreamingModelBackend streaming
            ? await streaming.GenerateAsync(generate, onText, ct)
            : await backend.GenerateAsync(generate, ct);
        return new TextCompletion(generation.Text, generation.PromptTokens, generation.CompletionTokens, generation.FinishReason ?? "stop", null);
    }

    /// <summary>OpenAI's legacy logprobs object: parallel arrays, the first token's logprob and alternatives null.</summary>
    private static object? Logprobs(TextCompletion completion)
    {
        if (completion.Tokens is not { } tokens) return null;
        return new
        {
            tokens = tokens.Select(t => t.Token),
            token_logprobs = tokens.Select(t => t.Logprob),
            top_logprobs = tokens.Select(t =>
            {
                if (t.Logprob is null) return null;
                // Two tokens can print alike (partial UTF-8); a JSON object keeps the likelier one.
                var top = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var (token, logprob) in t.Top) top.TryAdd(token, logprob);
                return top;
            }),
            text_offset = tokens.Select(t => t.TextOffset),
        };
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

    }
    /// <summary>
    /// Legacy completions as server-sent events: the echoed prompt first, then text as it is generated, a chunk with the
    /// finish reason, a usage chunk when asked for, then <c>[DONE]</c>. With logprobs the whole text comes in one chunk
    /// carrying them (they are computed once generation ends).
    /// </summary>
    private sealed class CompletionStreamResult(IModelBackend backend, CompletionRequest request, string id, long created) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var streamsText = request.Logprobs is null;
            var completion = Task.Run(async () =>
            {
                try
                {
                    return await CompleteAsync(backend, request, streamsText ? text => pieces.Writer.TryWrite(text) : null, ct);
                }
                finally
                {
                    pieces.Writer.TryComplete();
                }
            }, ct);

            if (streamsText && request.Echo) await WriteAsync(http, Chunk(request.Prompt, null, null), ct);
            var streamed = false;
            await foreach (var piece in pieces.Reader.ReadAllAsync(ct))
            {
                streamed = true;
                await WriteAsync(http, Chunk(piece, null, null), ct);
            }
            TextCompletion result;
            try
            {
                result = await completion;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var type = e is ModelRefusedException ? "content_filter" : e is ArgumentException ? "invalid_request_error" : "server_error";
                await WriteAsync(http, new OpenAiError(new OpenAiError.Body(e.Message, type, null, type)), ct);
                await http.Response.WriteAsync("data: [DONE]\n\n", ct);
                return;
            }
            if (!streamsText) await WriteAsync(http, Chunk((request.Echo ? request.Prompt : "") + result.Text, Logprobs(result), null), ct);
            else if (!streamed && result.Text.Length > 0) await WriteAsync(http, Chunk(result.Text, null, null), ct);
            await WriteAsync(http, Chunk("", null, FinishReason(result.FinishReason)), ct);
            if (request.IncludeUsage)
                await WriteAsync(http, new
                {
                    id, @object = "text_completion", created, model = request.Model, choices = Array.Empty<object>(),
                    usage = new { prompt_tokens = result.PromptTokens, completion_tokens = result.CompletionTokens, total_tokens = result.PromptTokens + result.CompletionTokens },
                }, ct);
            await http.Response.WriteAsync("data: [DONE]\n\n", ct);
        }

        private object Chunk(string text, object? logprobs, string? finishReason) => new
        {
            id,
            @object = "text_completion",
            created,
            model = request.Model,
            choices = new[] { new { index = 0, text, logprobs, finish_reason = finishReason } },
        };
    }

    /// <summary>One server-sent event carrying <paramref name="payload"/> as JSON, flushed at once.</summary>
    private static async Task WriteAsync(HttpContext http, object payload, CancellationToken ct)
    {
        await http.Response.WriteAsync("data: ", ct);
        await JsonSerializer.SerializeAsync(http.Response.Body, payload, payload.GetType(), Json, ct);
        await http.Response.WriteAsync("\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
