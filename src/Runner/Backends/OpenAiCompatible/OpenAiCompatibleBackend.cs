using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.RateLimiting;
using Evals.Benchmarks.Models;
using OpenAI;
using OpenAI.Chat;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Evals.Runner.Backends.OpenAiCompatible;

/// <summary>
/// Any endpoint that speaks OpenAI's chat-completions protocol (vLLM, SGLang, llama.cpp, DashScope, DeepSeek, Kimi,
/// GLM, OpenAI itself) through the official OpenAI .NET SDK: <c>openai:&lt;base-url&gt;?model=NAME&amp;key_env=VAR&amp;…</c>
/// (options in <see cref="OpenAiSpec"/>). Each request goes through, outermost first: retries with jittered exponential
/// backoff that wait at least the server's Retry-After, a circuit breaker that pauses an endpoint failing most of its
/// calls, a per-attempt timeout, then the rpm limiter and the concurrency bound. The SDK's own retries are off so that
/// only this pipeline decides. Chat endpoints cannot score log-likelihoods, so runs use generation and answer extraction.
/// </summary>
public sealed class OpenAiCompatibleBackend : IModelBackend
{
    public const string Scheme = "openai";

    private readonly OpenAiSpec _options;
    private readonly string? _key;
    private readonly ChatClient _client;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _slots;
    private readonly RateLimiter? _rpm;
    private readonly ResiliencePipeline _pipeline;

    private OpenAiCompatibleBackend(OpenAiSpec options, string? key, TimeProvider time)
    {
        _options = options;
        _key = key;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConcurrency,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, options.Timeout.TotalSeconds)),
        })
        { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = options.BaseUrl,
            Transport = new HttpClientPipelineTransport(_http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // A backstop only: the pipeline's timeout below is the one that acts.
            NetworkTimeout = options.Timeout + TimeSpan.FromSeconds(5),
            // No per-message logging or tracing in the hot path (and never the Authorization header in a log).
            ClientLoggingOptions = new ClientLoggingOptions { EnableLogging = false, EnableMessageLogging = false, EnableMessageContentLogging = false },
            EnableDistributedTracing = false,
        };
        // Servers without auth still get a header; the SDK requires a credential.
        _client = new ChatClient(options.Model, new ApiKeyCredential(key ?? "no-key"), clientOptions);
        if (options.RequestsPerMinute is { } rpm)
        {
            // A smooth rate rather than a burst at the top of each minute: one token per 60/rpm seconds, refilled in
            // steps of at least 50 ms so that high rates do not need a fast timer.
            var period = TimeSpan.FromMinutes(1) / rpm;
            var perStep = 1;
            if (period < TimeSpan.FromMilliseconds(50))
            {
                perStep = (int)Math.Ceiling(TimeSpan.FromMilliseconds(50) / period);
                period *= perStep;
            }
            _rpm = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(perStep, 1),
                TokensPerPeriod = perStep,
                ReplenishmentPeriod = period,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, options.Retries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = TimeSpan.FromMinutes(2),
                ShouldHandle = args => ValueTask.FromResult(options.Retries > 0 && args.Outcome.Exception is { } e && Faults.IsTransient(e)),
                DelayGenerator = args => ValueTask.FromResult(Faults.RetryAfter(args.Outcome.Exception) is { } after
                    ? (TimeSpan?)TimeSpan.FromTicks(Math.Max(after.Ticks, options.RetryDelay.Ticks))
                    : null),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // "Keeps failing": four calls in five failing over half a minute, with at least 20 calls seen.
                FailureRatio = 0.8,
                MinimumThroughput = 20,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(10),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && Faults.IsTransient(e) && e is not BrokenCircuitException),
            })
            .AddTimeout(options.Timeout)
            .Build();
    }

    public OpenAiSpec Options => _options;

    public ModelCapabilities Capabilities => Describe(_options);

    public string Description => $"openai-compatible: {_options.BaseUrl} model={_options.Model} (OpenAI .NET SDK, max_concurrency={_options.MaxConcurrency}" +
        (_options.RequestsPerMinute is { } rpm ? $", rpm={rpm}" : "") + (_options.Stream ? ", streaming" : "") + ")";

    public static ModelCapabilities Describe(OpenAiSpec options) => new(LogLikelihood: false, Generate: true, MaxConcurrency: options.MaxConcurrency);

    /// <summary>The checks that can be made before anything is enqueued: options, the key variable, and that the host answers.</summary>
    public static ModelCapabilities Validate(ModelSpec spec)
    {
        var options = OpenAiSpec.Parse(spec);
        options.ReadKey(spec.Text);
        if (options.Probe) Probe(spec, options.BaseUrl);
        return Describe(options);
    }

    public static OpenAiCompatibleBackend Create(ModelSpec spec, TimeProvider? time = null)
    {
        var options = OpenAiSpec.Parse(spec);
        return new OpenAiCompatibleBackend(options, options.ReadKey(spec.Text), time ?? TimeProvider.System);
    }

    /// <summary>Resolves the host and opens (then closes) a TCP connection, so that a typo or a down server is caught at submit time.</summary>
    private static void Probe(ModelSpec spec, Uri baseUrl)
    {
        var port = baseUrl.Port;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.ConnectAsync(baseUrl.DnsSafeHost, port, cts.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            var why = e switch
            {
                SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
                SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => "host not found",
                SocketException s => s.Message,
                _ => "no answer within 5 s",
            };
            throw new ModelSpecException($"model spec '{spec.Text}': cannot reach {baseUrl.Host}:{port} ({why}); add probe=false to submit anyway");
        }
    }

    public async Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        var decoding = request.Decoding;
        var options = new ChatCompletionOptions
        {
            Temperature = (float)(_options.Temperature ?? decoding.Temperature),
            MaxOutputTokenCount = _options.MaxTokens ?? decoding.MaxTokens,
        };
        var topP = _options.TopP ?? decoding.TopP;
        if (topP < 1) options.TopP = (float)topP;
#pragma warning disable OPENAI001 // Seed is marked experimental; most compatible servers honour it.
        if (decoding.Seed is { } seed) options.Seed = seed;
#pragma warning restore OPENAI001
        foreach (var stop in request.StopSequences) options.StopSequences.Add(stop);
        ChatMessage[] messages = [new UserChatMessage(request.Prompt)];

        var attempts = 0;
        try
        {
            return await _pipeline.ExecuteAsync(async ct =>
            {
                attempts++;
                await AcquireAsync(ct);
                try
                {
                    return _options.Stream ? await StreamOnceAsync(messages, options, ct) : await CompleteOnceAsync(messages, options, ct);
                }
                finally
                {
                    _slots.Release();
                }
            }, cancellationToken);
        }
        catch (Exception e) when (e is not (ModelRefusedException or OperationCanceledException) || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new RemoteCallException($"{_options.BaseUrl}chat/completions (model {_options.Model}) failed after {attempts} attempt(s): {Redact(Faults.Describe(e))}", e);
        }
    }

    private async Task AcquireAsync(CancellationToken cancellationToken)
    {
        if (_rpm is not null)
        {
            using var lease = await _rpm.AcquireAsync(1, cancellationToken);
            if (!lease.IsAcquired) throw new InvalidOperationException("rpm limiter refused a permit");
        }
        await _slots.WaitAsync(cancellationToken);
    }

    private async Task<Generation> CompleteOnceAsync(ChatMessage[] messages, ChatCompletionOptions options, CancellationToken cancellationToken)
    {
        ClientResult<ChatCompletion> result;
        try
        {
            result = await _client.CompleteChatAsync(messages, options, cancellationToken);
        }
        catch (ClientResultException e) when (Faults.RefusalIn(e, _options.RefusalCodes) is { } refusal)
        {
            throw new ModelRefusedException(refusal);
        }
        var completion = result.Value;
        var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
        var finish = Faults.FinishReasonName(completion.FinishReason);
        if (completion.FinishReason == ChatFinishReason.ContentFilter || !string.IsNullOrEmpty(completion.Refusal))
            throw new ModelRefusedException($"the provider refused (finish_reason={finish}){(string.IsNullOrEmpty(completion.Refusal) ? "" : ": " + completion.Refusal)}");
        var (input, output) = (completion.Usage?.InputTokenCount ?? 0, completion.Usage?.OutputTokenCount ?? 0);
        return new Generation(text, input, output, finish, new CallStats(_options.Cost(input, output)));
    }

    private async Task<Generation> StreamOnceAsync(ChatMessage[] messages, ChatCompletionOptions options, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        double? firstToken = null;
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        try
        {
            await foreach (var update in _client.CompleteChatStreamingAsync(messages, options, cancellationToken))
            {
                foreach (var part in update.ContentUpdate)
                {
                    if (part.Kind != ChatMessageContentPartKind.Text || string.IsNullOrEmpty(part.Text)) continue;
                    firstToken ??= watch.Elapsed.TotalMilliseconds;
                    text.Append(part.Text);
                }
                finish = update.FinishReason ?? finish;
                usage = update.Usage ?? usage;
            }
        }
        catch (ClientResultException e) when (Faults.RefusalIn(e, _options.RefusalCodes) is { } refusal)
        {
            throw new ModelRefusedException(refusal);
        }
        if (finish == ChatFinishReason.ContentFilter)
            throw new ModelRefusedException("the provider refused (finish_reason=content_filter)");
        var (input, output) = (usage?.InputTokenCount ?? 0, usage?.OutputTokenCount ?? 0);
        return new Generation(text.ToString(), input, output, finish is { } f ? Faults.FinishReasonName(f) : null, new CallStats(_options.Cost(input, output), firstToken));
    }

    public Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{_options.BaseUrl} serves chat completions, which give no log-likelihoods; run with --mode generate");

    /// <summary>Defence in depth: error text from a server must never carry the key onward into results or logs.</summary>
    private string Redact(string text) => _key is { Length: >= 4 } key ? text.Replace(key, "[key]", StringComparison.Ordinal) : text;

    public ValueTask DisposeAsync()
    {
        _rpm?.Dispose();
        _http.Dispose();
        _slots.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A remote call that failed for good (after its retries); the message says where, how often and why.</summary>
public sealed class RemoteCallException(string message, Exception inner) : Exception(message, inner);
