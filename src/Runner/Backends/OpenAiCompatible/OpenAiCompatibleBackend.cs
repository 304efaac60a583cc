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
/// calls, the concurrency bound and the rpm limiter (in that order, so that a call sends as soon as its rpm turn comes),
/// then the per-attempt timeout. The timeout bounds the exchange with the server only: a call that waited long in line
/// for a slot or a turn (many items, several workers on one endpoint) is not cut off once it is sent, which would have
/// paid for the request, thrown its answer away and sent it again. With <see cref="EndpointBudgets"/> both bounds are
/// shared by every node on the database; without (the CLI's local checks, tests) they are this process's own. The
/// SDK's own retries are off so that only this pipeline decides. Chat endpoints cannot score log-likelihoods, so runs use generation and answer extraction
/// unless they ask for <c>--mode loglikelihood</c>: then choices are scored through the legacy <c>/completions</c>
/// endpoint with echo and logprobs (vLLM, SGLang, llama.cpp and our own /v1 serve it), after one probe request; an
/// endpoint that answers the probe 400 or 404 is recorded as unable and its items are generated instead.
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
    private readonly EndpointBudgets? _shared;
    private readonly string _endpoint;
    private readonly ResiliencePipeline _pipeline;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly Uri _completionsUri;
    private readonly Lock _probeLock = new();
    private Task<string?>? _echoProbe;
    private volatile string? _logLikelihoodUnavailable;

    private OpenAiCompatibleBackend(OpenAiSpec options, string? key, TimeProvider time, EndpointBudgets? shared)
    {
        _options = options;
        _key = key;
        _shared = shared;
        _endpoint = EndpointBudgets.EndpointOf(options.BaseUrl, options.Model);
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
        _completionsUri = new Uri(options.BaseUrl, "completions");
        if (options.RequestsPerMinute is { } rpm && shared is null)
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
            .Build();
        _attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(options.Timeout).Build();
    }

    public OpenAiSpec Options => _options;

    public ModelCapabilities Capabilities => Describe(_options);

    public string Description => $"openai-compatible: {_options.BaseUrl} model={_options.Model} (OpenAI .NET SDK, max_concurrency={_options.MaxConcurrency}" +
        (_options.RequestsPerMinute is { } rpm ? $", rpm={rpm}" : "") + (_options.Stream ? ", streaming" : "") + ")" +
        (_logLikelihoodUnavailable is { } why ? $"; log-likelihood unavailable ({why}): choice items were generated" : "");

    /// <summary>Generation by default; log-likelihood when a run asks for it (probed, with generation as the fallback).</summary>
    public static ModelCapabilities Describe(OpenAiSpec options) => new(LogLikelihood: false, Generate: true, MaxConcurrency: options.MaxConcurrency, LogLikelihoodIfAsked: true);

    /// <summary>The checks that can be made before anything is enqueued: options, the key variable, and that the host answers.</summary>
    public static ModelCapabilities Validate(ModelSpec spec)
    {
        var options = OpenAiSpec.Parse(spec);
        options.ReadKey(spec.Text);
        if (options.Probe) Probe(spec, options.BaseUrl);
        return Describe(options);
    }

    public static OpenAiCompatibleBackend Create(ModelSpec spec, TimeProvider? time = null, EndpointBudgets? shared = null)
    {
        var options = OpenAiSpec.Parse(spec);
        return new OpenAiCompatibleBackend(options, options.ReadKey(spec.Text), time ?? TimeProvider.System, shared);
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
        var temperature = _options.Temperature ?? decoding.Temperature;
        var maxTokens = _options.MaxTokens ?? decoding.MaxTokens;
        var topP = _options.TopP ?? decoding.TopP;
        // Streaming goes through the SDK's typed streaming client; plain calls send prepared bytes through its protocol method.
        var call = _options.Stream
            ? new Call(this, null, StreamingOptions(request, temperature, maxTokens, topP), request.Turns().Select(SdkMessage).ToArray())
            : new Call(this, BinaryContent.Create(ChatWire.Request(_options.Model, request.Turns(), temperature, maxTokens, topP < 1 ? topP : null, decoding.Seed, request.StopSequences)), null, null);
        try
        {
            return await _pipeline.ExecuteAsync(static async (call, ct) =>
            {
                call.Attempts++;
                var backend = call.Backend;
                await using var permit = await backend.AcquireAsync(ct);
                return await backend._attemptTimeout.ExecuteAsync(static async (call, ct) => call.Body is { } body
                    ? await call.Backend.CompleteOnceAsync(body, ct)
                    : await call.Backend.StreamOnceAsync(call.Messages!, call.Options!, ct), call, ct);
            }, call, cancellationToken);
        }
        catch (Exception e) when (e is not (ModelRefusedException or OperationCanceledException) || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new RemoteCallException($"{_options.BaseUrl}chat/completions (model {_options.Model}) failed after {call.Attempts} attempt(s): {Redact(Faults.Describe(e))}", e);
        }
    }

    /// <summary>One item's call through the pipeline, passed as state so that an attempt allocates no closure.</summary>
    private sealed class Call(OpenAiCompatibleBackend backend, BinaryContent? body, ChatCompletionOptions? options, ChatMessage[]? messages)
    {
        public OpenAiCompatibleBackend Backend { get; } = backend;
        public BinaryContent? Body { get; } = body;
        public ChatCompletionOptions? Options { get; } = options;
        public ChatMessage[]? Messages { get; } = messages;
        public int Attempts { get; set; }
    }

    private static ChatMessage SdkMessage(ChatTurn turn) => turn.Role switch
    {
        Conversation.System => new SystemChatMessage(turn.Content),
        Conversation.Assistant => new AssistantChatMessage(turn.Content),
        _ => new UserChatMessage(turn.Content),
    };

    private static ChatCompletionOptions StreamingOptions(GenerateRequest request, double temperature, int maxTokens, double topP)
    {
        var options = new ChatCompletionOptions { Temperature = (float)temperature, MaxOutputTokenCount = maxTokens };
        if (topP < 1) options.TopP = (float)topP;
#pragma warning disable OPENAI001 // Seed is marked experimental; most compatible servers honour it.
        if (request.Decoding.Seed is { } seed) options.Seed = seed;
#pragma warning restore OPENAI001
        foreach (var stop in request.StopSequences) options.StopSequences.Add(stop);
        return options;
    }

    /// <summary>A slot (this process's, then the cluster's) and then the rpm turn; disposing the permit gives the slots back.</summary>
    private async Task<Permit> AcquireAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            if (_shared is not null)
                return new Permit(_slots, await _shared.TakeSlotAndTurnAsync(_endpoint, _options.MaxConcurrency, _options.RequestsPerMinute, _options.Timeout, cancellationToken));
            if (_rpm is not null)
            {
                using var turn = await _rpm.AcquireAsync(1, cancellationToken);
                if (!turn.IsAcquired) throw new InvalidOperationException("rpm limiter refused a permit");
            }
            return new Permit(_slots, null);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    private sealed class Permit(SemaphoreSlim slots, IAsyncDisposable? lease) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (lease is not null) await lease.DisposeAsync();
            }
            finally
            {
                slots.Release();
            }
        }
    }

    private async Task<Generation> CompleteOnceAsync(BinaryContent body, CancellationToken cancellationToken)
    {
        ClientResult result;
        try
        {
            result = await _client.CompleteChatAsync(body, new RequestOptions { CancellationToken = cancellationToken });
        }
        catch (ClientResultException e) when (Faults.RefusalIn(e, _options.RefusalCodes) is { } refusal)
        {
            throw new ModelRefusedException(refusal);
        }
        var answer = ChatWire.Parse(result.GetRawResponse().Content);
        if (answer.FinishReason == "content_filter" || !string.IsNullOrEmpty(answer.Refusal))
            throw new ModelRefusedException($"the provider refused (finish_reason={answer.FinishReason}){(string.IsNullOrEmpty(answer.Refusal) ? "" : ": " + answer.Refusal)}");
        return new Generation(answer.Text, answer.PromptTokens, answer.CompletionTokens, answer.FinishReason, new CallStats(_options.Cost(answer.PromptTokens, answer.CompletionTokens)));
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

    /// <summary>
    /// One echo request per continuation (context + continuation, <c>max_tokens=0</c>), in parallel within the
    /// concurrency bound; scores as <see cref="EchoScoring"/> describes. Throws <see cref="LogLikelihoodUnavailableException"/>
    /// when the endpoint cannot echo logprobs.
    /// </summary>
    public async Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default)
    {
        // The legacy completions API takes text, and the endpoint's chat template is not ours to guess.
        if (request.Messages is not null)
            throw new NotSupportedException($"{_completionsUri}: log-likelihood over a conversation needs the model's chat template, which an OpenAI-compatible endpoint does not expose; run with --mode generate");
        await RequireEchoAsync(cancellationToken);
        var contextEnd = EchoScoring.CodePoints(request.Context.TrimEnd(' '));
        var echoes = await Task.WhenAll(request.Continuations.Select(c => EchoAsync(request.Context + c, cancellationToken)));
        var scores = new double[echoes.Length];
        var (contextTokens, continuationTokens, billed) = (0, 0, 0L);
        for (var i = 0; i < echoes.Length; i++)
        {
            int before, after;
            try
            {
                (scores[i], before, after) = EchoScoring.Split(echoes[i], contextEnd, request.Continuations[i]);
            }
            catch (InvalidDataException e)
            {
                throw new RemoteCallException($"{_completionsUri} (model {_options.Model}) gave an echo that cannot be scored: {e.Message}", e);
            }
            contextTokens = i == 0 ? before : Math.Min(contextTokens, before);
            continuationTokens += after;
            billed += echoes[i].PromptTokens;
        }
        return new ChoiceScores(scores, contextTokens, continuationTokens, new CallStats(_options.Cost(billed, 0)));
    }

    /// <summary>Asks once per backend whether the endpoint echoes logprobs; a probe that failed for other reasons is asked again.</summary>
    private async Task RequireEchoAsync(CancellationToken cancellationToken)
    {
        Task<string?> probe;
        lock (_probeLock) probe = _echoProbe ??= ProbeEchoAsync();
        try
        {
            if (await probe.WaitAsync(cancellationToken) is { } why) throw new LogLikelihoodUnavailableException(why);
        }
        catch (Exception) when (probe.IsFaulted)
        {
            lock (_probeLock)
            {
                if (ReferenceEquals(_echoProbe, probe)) _echoProbe = null;
            }
            throw;
        }
    }

    private async Task<string?> ProbeEchoAsync()
    {
        try
        {
            var echo = await EchoAsync("Hello", CancellationToken.None);
            if (echo.Logprobs is not null) return null;
            return _logLikelihoodUnavailable = $"{_completionsUri} answered without echoed token logprobs";
        }
        catch (RemoteCallException e) when (e.InnerException is ClientResultException { Status: 400 or 404 or 405 or 501 } answer)
        {
            return _logLikelihoodUnavailable = $"{_completionsUri} answered the echo probe with {Redact(Faults.Describe(answer))}";
        }
    }

    private async Task<EchoedPrompt> EchoAsync(string prompt, CancellationToken cancellationToken)
    {
        var body = EchoScoring.Request(_options.Model, prompt);
        var attempts = 0;
        try
        {
            return await _pipeline.ExecuteAsync(async ct =>
            {
                attempts++;
                await using var permit = await AcquireAsync(ct);
                return await _attemptTimeout.ExecuteAsync(async ct => await PostEchoOnceAsync(body, ct), ct);
            }, cancellationToken);
        }
        catch (Exception e) when (e is not (ModelRefusedException or OperationCanceledException) || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new RemoteCallException($"{_completionsUri} (model {_options.Model}) failed after {attempts} attempt(s): {Redact(Faults.Describe(e))}", e);
        }
    }

    /// <summary>
    /// The OpenAI .NET SDK has no public client for the legacy completions endpoint, so this is a small typed call sent
    /// through the chat client's own <see cref="ClientPipeline"/>: the same HttpClient, key header and (disabled) SDK
    /// retries; the caller wraps it in the same retries, circuit breaker, timeout, rpm and concurrency bounds as chat.
    /// </summary>
    private async Task<EchoedPrompt> PostEchoOnceAsync(BinaryData body, CancellationToken cancellationToken)
    {
        using var message = _client.Pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = _completionsUri;
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Headers.Set("Accept", "application/json");
        message.Request.Content = BinaryContent.Create(body);
        message.Apply(new RequestOptions { CancellationToken = cancellationToken });
        await _client.Pipeline.SendAsync(message);
        var response = message.ExtractResponse()!;
        if (response.IsError)
        {
            var error = new ClientResultException(response);
            if (Faults.RefusalIn(error, _options.RefusalCodes) is { } refusal) throw new ModelRefusedException(refusal);
            throw error;
        }
        using (response) return EchoScoring.Parse(response.Content);
    }

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
