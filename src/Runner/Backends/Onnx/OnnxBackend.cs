using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx.Native;
using Evals.Runner.Backends.Onnx.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Evals.Runner.Backends.Onnx;

/// <summary>
/// In-process evaluation of an exported checkpoint through ONNX Runtime: <c>onnx:&lt;folder&gt;[?device=cpu|cuda|auto&amp;…]</c>.
/// Options: <c>device</c> (cpu, the default; cuda; auto = cuda if it loads, else cpu), <c>device_id</c>, <c>threads</c>
/// (intra-op threads, 0 = ORT's default), <c>file</c> (model file inside the folder, default model.onnx), <c>library</c>
/// (libonnxruntime path; else <c>Onnx__LibraryPath</c>, else next to the binaries), <c>cuda_provider</c> (CUDA provider
/// library for the plugin route), <c>batch</c> (continuations scored together), <c>chat</c> (auto, on, off: wrap generation
/// prompts in the folder's chat template), <c>top_k</c>, <c>tf32</c> (on, off: CUDA matrix products in TF32; off by default, so
/// scores on a GPU match the CPU's to float32 rounding — on an H100, TF32 moved logits by 0.02). Batching across items (host
/// KV cache): <c>batch_items</c> (requests joined into one batch, and the items a run keeps in flight), <c>max_batch_tokens</c>
/// (cached positions a batch may hold, rows × length), <c>memory_gb</c> (KV and logits bytes a batch may take),
/// <c>batch_window_ms</c> (how long the engine waits for calls started together). <c>batch_items=1</c> runs one item at a time.
/// </summary>
public sealed class OnnxBackend : IStreamingModelBackend, ICompletionModelBackend, IBatchModelBackend
{
    public static readonly string[] KnownOptions = ["device", "device_id", "threads", "file", "library", "cuda_provider", "batch", "chat", "top_k", "tf32",
        "batch_items", "max_batch_tokens", "memory_gb", "batch_window_ms"];

    private readonly CausalLM _model;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly int _batch;
    private readonly bool _chat;
    private readonly int _topK;
    private readonly BatchBudget _budget;
    private readonly EngineQueue? _queue;

    private OnnxBackend(ModelSpec spec, ModelFolder folder, CausalLM model, string deviceReport, int batch, bool chat, int topK, BatchBudget budget, TimeSpan window)
    {
        Spec = spec;
        Folder = folder;
        _model = model;
        DeviceReport = deviceReport;
        _batch = batch;
        _chat = chat;
        _topK = topK;
        _budget = budget;
        // Batches across items rebuild cache rows on the host; with the cache on a device each request runs alone, as before.
        if (model.KvOnHost && budget.MaxRows > 1) _queue = new EngineQueue(model, _gate, budget, window);
    }

    public ModelSpec Spec { get; }

    public ModelFolder Folder { get; }

    /// <summary>Which library, version and execution provider serve this model; meant for the run's record.</summary>
    public string DeviceReport { get; }

    public string Description => $"onnx: {DeviceReport}{BatchReport()}";

    /// <summary>The batching in use and, once it has run, what it achieved: the run's report keeps the final figures.</summary>
    private string BatchReport()
    {
        if (_queue is null) return "; batching across items off";
        var text = $"; batching across items: {_budget.Describe(_model.Layout)}";
        static string Figures(string name, BatchStats s) =>
            s.Batches == 0 ? "" : $"; {name}: {s.TokensPerSecond:0} tokens/s, mean batch {s.MeanBatch:0.#} (largest {s.LargestBatch}) over {s.Batches} passes{(s.Prefills > 0 ? $" ({s.Prefills} prefills {s.PrefillTime.TotalSeconds:0.0} s, decode {s.DecodeTime.TotalSeconds:0.0} s, {s.Rebuilds} cache rebuilds {s.RebuildTime.TotalSeconds:0.0} s of {s.EngineTime.TotalSeconds:0.0} s)" : "")}{(s.Halvings > 0 ? $", halved {s.Halvings}× after allocation failures" : "")}";
        return text + Figures("scoring", _queue.Scoring) + Figures("generation", _queue.Generation);
    }

    /// <summary>Scoring and generation figures of the batched paths (null when batching is off).</summary>
    internal (BatchStats Scoring, BatchStats Generation)? BatchFigures => _queue is null ? null : (_queue.Scoring, _queue.Generation);

    internal CausalLM Model => _model;

    public const string Scheme = "onnx";

    /// <summary>As many requests at once as one batch takes (<c>batch_items</c>): concurrent calls are joined into batches.</summary>
    public static ModelCapabilities CapabilitiesFor(ModelSpec spec) =>
        new(LogLikelihood: true, Generate: true, MaxConcurrency: spec.GetInt("batch_items", BatchBudget.DefaultMaxRows, 1, 4096));

    public ModelCapabilities Capabilities => CapabilitiesFor(Spec);

    /// <summary>Checks the options and that the folder holds a usable model, without creating a session.</summary>
    public static void Validate(ModelSpec spec)
    {
        spec.RequireKnownOptions(KnownOptions);
        if (string.IsNullOrWhiteSpace(spec.Target)) throw new ModelSpecException($"model spec '{spec.Text}': expected onnx:<folder>");
        if (spec.Options.GetValueOrDefault("device", "cpu") is not ("cpu" or "cuda" or "auto"))
            throw new ModelSpecException($"model spec '{spec.Text}': device='{spec.Options["device"]}' is not cpu, cuda or auto");
        try
        {
            ModelFolder.Open(spec.Target, spec.Options.GetValueOrDefault("file"));
        }
        catch (Exception e) when (e is not ModelSpecException)
        {
            throw new ModelSpecException(e.Message);
        }
    }

    public static OnnxBackend Create(ModelSpec spec, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        if (spec.Scheme != "onnx") throw new ModelSpecException($"model spec '{spec.Text}': OnnxBackend serves the onnx scheme, not '{spec.Scheme}'");
        spec.RequireKnownOptions(KnownOptions);
        if (string.IsNullOrWhiteSpace(spec.Target)) throw new ModelSpecException($"model spec '{spec.Text}': expected onnx:<folder>");
        var device = spec.Options.GetValueOrDefault("device", "cpu") switch
        {
            "cpu" => OnnxDevice.Cpu,
            "cuda" => OnnxDevice.Cuda,
            "auto" => OnnxDevice.Auto,
            var other => throw new ModelSpecException($"model spec '{spec.Text}': device='{other}' is not cpu, cuda or auto"),
        };
        var chat = spec.Options.GetValueOrDefault("chat", "auto") switch
        {
            var c when c is "auto" or "on" or "off" => c,
            var other => throw new ModelSpecException($"model spec '{spec.Text}': chat='{other}' is not auto, on or off"),
        };
        var deviceId = spec.GetInt("device_id", 0, 0, 64);
        var threads = spec.GetInt("threads", 0, 0, 1024);
        var batch = spec.GetInt("batch", 8, 1, 1024);
        var topK = spec.GetInt("top_k", 0, 0, 1_000_000);
        var batchItems = spec.GetInt("batch_items", BatchBudget.DefaultMaxRows, 1, 4096);
        var maxBatchTokens = spec.GetInt("max_batch_tokens", BatchBudget.DefaultMaxBatchTokens, 1, 1 << 30);
        var window = spec.GetInt("batch_window_ms", 2, 0, 10_000);
        var memoryGb = spec.Options.TryGetValue("memory_gb", out var gbText)
            ? double.TryParse(gbText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var gb) && gb > 0 && gb <= 100_000
                ? gb
                : throw new ModelSpecException($"model spec '{spec.Text}': memory_gb='{gbText}' is not a number of gigabytes above 0")
            : BatchBudget.DefaultMemoryGb;
        var budget = new BatchBudget(maxBatchTokens, batchItems, (long)(memoryGb * 1024 * 1024 * 1024));

        var folder = ModelFolder.Open(spec.Target, spec.Options.GetValueOrDefault("file"));
        if (chat == "on" && folder.ChatTemplate is null)
            throw new ModelSpecException($"model spec '{spec.Text}': chat=on, but {Path.Combine(folder.Folder, "tokenizer_config.json")} has no chat_template");
        var runtime = OrtRuntime.Load(spec.Options.GetValueOrDefault("library"));
        var tf32 = spec.Options.GetValueOrDefault("tf32", "off") switch
        {
            "on" => true,
            "off" => false,
            var other => throw new ModelSpecException($"model spec '{spec.Text}': tf32='{other}' is not on or off"),
        };
        var settings = new SessionSettings(device, deviceId, threads, CudaProviderPath: spec.Options.GetValueOrDefault("cuda_provider"), AllowTf32: tf32);

        OrtSession session;
        string report;
        if (device == OnnxDevice.Auto)
        {
            try
            {
                session = OrtSession.Create(runtime, folder.ModelPath, settings with { Device = OnnxDevice.Cuda });
                report = session.ProviderReport;
            }
            catch (Exception e) when (e is OnnxDeviceException or OnnxRuntimeException)
            {
                session = OrtSession.Create(runtime, folder.ModelPath, settings with { Device = OnnxDevice.Cpu });
                report = $"{session.ProviderReport}; device=auto fell back to CPU because CUDA could not be used: {e.Message}";
                logger.LogWarning("onnx:{Folder}: device=auto: CUDA could not be used ({Reason}); running on CPUExecutionProvider from {Library}", folder.Folder, e.Message, runtime.LibraryPath);
            }
        }
        else
        {
            session = OrtSession.Create(runtime, folder.ModelPath, settings);
            report = session.ProviderReport;
        }
        try
        {
            var layout = DecoderLayout.Read(session, folder);
            var onDevice = report.StartsWith("CUDA", StringComparison.Ordinal);
            var kvMemory = onDevice ? CreateCudaMemory(runtime, deviceId) : runtime.CpuMemory;
            var model = new CausalLM(session, layout, kvMemory, kvOnHost: !onDevice, folder.Tokenizer);
            logger.LogInformation("onnx:{Folder}: {Report}; {Layers} layers, {KvHeads} KV heads × {HeadDim}, KV {KvType}", folder.Folder, report, layout.Layers.Count, layout.KvHeads, layout.HeadDim, layout.KvType);
            return new OnnxBackend(spec, folder, model, report, batch, chat != "off" && folder.ChatTemplate is not null, topK, budget, TimeSpan.FromMilliseconds(window));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static unsafe OrtMemoryInfoHandle CreateCudaMemory(OrtRuntime runtime, int deviceId)
    {
        var api = runtime.Api;
        var name = Utf8.Alloc("Cuda");
        try
        {
            nint info;
            api.Check(api.CreateMemoryInfo(name, 0 /* device allocator */, deviceId, 0 /* default mem type */, &info));
            return new OrtMemoryInfoHandle(api, info);
        }
        finally
        {
            Utf8.Free(name);
        }
    }

    /// <summary>The prompt as the model sees it: wrapped in the chat template when chat is on (or auto with a template).</summary>
    public string RenderPrompt(string prompt) =>
        _chat && Folder.ChatTemplate is { } template ? template.Render([new ChatMessage("user", prompt)]) : prompt;

    /// <summary>
    /// A request's prompt as the model sees it: a conversation goes through the chat template whole (every turn, then the
    /// assistant header); a single string as <see cref="RenderPrompt(string)"/> renders it.
    /// </summary>
    public string RenderPrompt(GenerateRequest request) =>
        request.Messages is { } turns ? RenderConversation(turns) : RenderPrompt(request.Prompt);

    /// <summary>A conversation through the folder's chat template; without one (or with chat=off) there is no right way to join turns.</summary>
    public string RenderConversation(IReadOnlyList<ChatTurn> turns)
    {
        if (!_chat || Folder.ChatTemplate is not { } template)
            throw new ArgumentException(Folder.ChatTemplate is null
                ? $"a multi-turn prompt needs the model's chat template, and {Path.Combine(Folder.Folder, "tokenizer_config.json")} has none"
                : "a multi-turn prompt needs the model's chat template, which chat=off turns off");
        if (Conversation.PromptProblem(turns) is { } problem) throw new ArgumentException($"messages: {problem}");
        return template.Render(turns.Select(t => new ChatMessage(t.Role, t.Content)).ToList());
    }

    public Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerateAsync(request, null, cancellationToken);

    /// <summary>Generation that reports text as it is decoded (the /v1 server streams it).</summary>
    public async Task<Generation> GenerateAsync(GenerateRequest request, Action<string>? onText, CancellationToken cancellationToken = default)
    {
        var ids = Folder.Tokenizer.Encode(RenderPrompt(request));
        var sampling = new SamplingOptions(request.Decoding.Temperature, request.Decoding.TopP, _topK, request.Decoding.Seed);
        var settings = new GenerationSettings(request.Decoding.MaxTokens, sampling, request.StopSequences, Folder.EosIds);
        GeneratedText result;
        if (_queue is not null)
        {
            if (ids.Length == 0) throw new ArgumentException("every prompt needs at least one token");
            result = await _queue.GenerateAsync(new GenerationJob(ids, settings, onText, cancellationToken));
        }
        else
        {
            Action<int, string>? callback = onText is null ? null : (_, text) => onText(text);
            result = await RunAsync(() => _model.Generate([ids], settings, callback, cancellationToken)[0], cancellationToken);
        }
        return new Generation(result.Text, result.PromptTokens, result.Tokens.Length, result.FinishReason);
    }

    public async Task<IReadOnlyList<Generation>> GenerateBatchAsync(IReadOnlyList<GenerateRequest> requests, CancellationToken cancellationToken = default) =>
        await Task.WhenAll(requests.Select(r => GenerateAsync(r, null, cancellationToken)));

    public async Task<IReadOnlyList<ChoiceScores>> ScoreChoicesBatchAsync(IReadOnlyList<ChoiceRequest> requests, CancellationToken cancellationToken = default) =>
        await Task.WhenAll(requests.Select(r => ScoreChoicesAsync(r, cancellationToken)));

    /// <summary>
    /// Raw continuation for /v1/completions: the prompt as it is (no chat template), tokenized as a whole. Log-probabilities
    /// come from one extra forward pass over prompt and generated tokens, through the same log-softmax as scoring.
    /// </summary>
    public async Task<TextCompletion> CompleteAsync(TextCompletionRequest request, Action<string>? onText = null, CancellationToken cancellationToken = default)
    {
        var tokenizer = Folder.Tokenizer;
        var ids = tokenizer.Encode(request.Prompt);
        if (ids.Length == 0) throw new ArgumentException("the prompt encodes to no tokens");
        var generated = new GeneratedText([], "", "length", ids.Length);
        if (request.Decoding.MaxTokens > 0)
        {
            var sampling = new SamplingOptions(request.Decoding.Temperature, request.Decoding.TopP, _topK, request.Decoding.Seed);
            var settings = new GenerationSettings(request.Decoding.MaxTokens, sampling, request.StopSequences, Folder.EosIds);
            // Through the batcher like chat requests, so concurrent /v1/completions calls share forward passes.
            if (_queue is not null) generated = await _queue.GenerateAsync(new GenerationJob(ids, settings, onText, cancellationToken));
            else
            {
                Action<int, string>? callback = onText is null ? null : (_, text) => onText(text);
                generated = await RunAsync(() => _model.Generate([ids], settings, callback, cancellationToken)[0], cancellationToken);
            }
        }
        IReadOnlyList<TokenLogprob>? tokens = null;
        if (request.Logprobs is { } top)
        {
            int[] all = [.. ids, .. generated.Tokens];
            tokens = await RunAsync(() => ScoredTokens.Describe(tokenizer, all, _model.TokenLogprobs(all, top, cancellationToken), request.Echo ? 0 : ids.Length), cancellationToken);
        }
        return new TextCompletion(generated.Text, ids.Length, generated.Tokens.Length, generated.FinishReason, tokens);
    }

    /// <summary>
    /// Over a conversation the context is the templated conversation up to the assistant header, so each continuation is
    /// scored as the start of the model's reply; a string context is scored as it is (no template), as before.
    /// </summary>
    public async Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default)
    {
        var text = request.Messages is { } turns ? RenderConversation(turns) : request.Context;
        var (context, continuations) = EncodeChoices(text, request.Continuations);
        IReadOnlyList<ContinuationScore> scores = _queue is not null
            ? await _queue.ScoreAsync(new ScoreRequest(context, continuations), cancellationToken)
            : await RunAsync(() => _model.Score(context, continuations, _batch, cancellationToken), cancellationToken);
        return new ChoiceScores(scores.Select(s => s.LogLikelihood).ToList(), context.Length, continuations.Sum(c => c.Length));
    }

    /// <summary>Scores with the greedy flag too, which <see cref="ChoiceScores"/> has no room for.</summary>
    internal async Task<IReadOnlyList<ContinuationScore>> ScoreDetailedAsync(string context, IReadOnlyList<string> continuations, CancellationToken cancellationToken = default)
    {
        var (ctx, conts) = EncodeChoices(context, continuations);
        return await RunAsync(() => _model.Score(ctx, conts, _batch, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Context and continuation are encoded separately, as lm-evaluation-harness does, with trailing spaces of the context
    /// moved to the continuation so that " A" stays one token. An empty context gets the end-of-text token as its prefix.
    /// </summary>
    internal (int[] Context, int[][] Continuations) EncodeChoices(string context, IReadOnlyList<string> continuations)
    {
        var trimmed = context.TrimEnd(' ');
        var moved = context[trimmed.Length..];
        var tokenizer = Folder.Tokenizer;
        var ctx = tokenizer.Encode(trimmed);
        if (ctx.Length == 0)
        {
            var prefix = tokenizer.TokenToId("<|endoftext|>") ?? Folder.PadId ?? (Folder.EosIds.Count > 0 ? Folder.EosIds.Min() : 0);
            ctx = [prefix];
        }
        var conts = continuations.Select(c =>
        {
            var ids = tokenizer.Encode(moved + c);
            return ids.Length > 0 ? ids : throw new ArgumentException($"continuation '{c}' encodes to no tokens");
        }).ToArray();
        return (ctx, conts);
    }

    private async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(work, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _model.Dispose();
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }
}
