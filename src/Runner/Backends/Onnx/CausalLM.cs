using Evals.Runner.Backends.Onnx.Native;
using Evals.Runner.Backends.Onnx.Tokenization;

namespace Evals.Runner.Backends.Onnx;

internal sealed record GenerationSettings(int MaxNewTokens, SamplingOptions Sampling, IReadOnlyList<string> StopStrings, IReadOnlySet<int> EosIds);

internal sealed record GeneratedText(int[] Tokens, string Text, string FinishReason, int PromptTokens);

/// <param name="LogLikelihood">Summed natural-log probability of the continuation's tokens.</param>
/// <param name="IsGreedy">Whether every continuation token is the argmax at its position.</param>
internal sealed record ContinuationScore(double LogLikelihood, bool IsGreedy, int Tokens);

/// <param name="Logprob">The log-probability of the token at this position given those before it.</param>
/// <param name="Top">The most likely tokens at this position, best first.</param>
internal sealed record PositionLogprobs(double Logprob, (int Id, double Logprob)[] Top);

/// <summary>
/// A decoder-only LM over one ORT session: a forward step with a KV cache (through IoBinding, so on CUDA the cache stays on
/// the device and only logits come to the host), batched generation with left padding, and continuation scoring that
/// computes the shared context once. Not thread-safe: the backend serializes calls.
/// </summary>
internal sealed class CausalLM : IDisposable
{
    private readonly OrtSession _session;
    private readonly OrtIoBinding _binding;
    private readonly OrtMemoryInfoHandle _kvMemory;
    private readonly bool[] _useCache = new bool[1];
    private readonly string[] _inputNames;
    private readonly OrtTensor[] _inputValues;
    private readonly string[] _outputNames;
    private float[] _row = [];

    public CausalLM(OrtSession session, DecoderLayout layout, OrtMemoryInfoHandle kvMemory, bool kvOnHost, Tokenizer tokenizer)
    {
        _session = session;
        Layout = layout;
        _kvMemory = kvMemory;
        KvOnHost = kvOnHost;
        Tokenizer = tokenizer;
        _binding = new OrtIoBinding(session);
        var inputs = new List<string> { "input_ids", "attention_mask" };
        if (layout.PositionIds is not null) inputs.Add(layout.PositionIds);
        if (layout.UseCacheBranch is not null) inputs.Add(layout.UseCacheBranch);
        inputs.AddRange(layout.Layers.SelectMany(l => new[] { l.PastKey, l.PastValue }));
        _inputNames = [.. inputs];
        _inputValues = new OrtTensor[_inputNames.Length];
        _outputNames = ["logits", .. layout.Layers.SelectMany(l => new[] { l.PresentKey, l.PresentValue })];
    }

    /// <summary>
    /// Called after each generation step has sampled its tokens, with the step index (0 = after prefill). The throughput
    /// benchmark (perf/OnnxThroughput) uses it to split one generation into prefill and decode time.
    /// </summary>
    internal Action<int>? StepObserver { get; set; }

    /// <summary>Forward passes run so far (reports and tests compare batched with batch-1 counts).</summary>
    public long ForwardPasses { get; private set; }

    /// <summary>
    /// Test hook: when it returns true for (batch, positions fed per row, total positions) a forward pass fails as ONNX
    /// Runtime does when it cannot allocate, so the tests can show that the batched paths halve the batch and carry on.
    /// </summary>
    internal Func<int, int, int, bool>? ForcedAllocationFailure { get; set; }

    /// <summary>Whether an error is ONNX Runtime running out of memory (CPU arena or CUDA), which a smaller batch may avoid.</summary>
    internal static bool IsOutOfMemory(Exception e) =>
        e is OnnxRuntimeException ort && (ort.OrtMessage.Contains("allocate", StringComparison.OrdinalIgnoreCase)
            || ort.OrtMessage.Contains("bad_alloc", StringComparison.OrdinalIgnoreCase)
            || ort.OrtMessage.Contains("out of memory", StringComparison.OrdinalIgnoreCase));

    /// <summary>Forces the IoBinding path on the CPU too (tests use it to check that both paths agree).</summary>
    internal bool UseIoBindingOnHost { get; set; }

    public OrtRuntime Runtime => _session.Runtime;

    public DecoderLayout Layout { get; }

    public Tokenizer Tokenizer { get; }

    public bool KvOnHost { get; }

    public string ProviderReport => _session.ProviderReport;

    /// <summary>Tokens that may be produced: real vocabulary entries only.</summary>
    public int SampleLimit => Math.Min(Layout.LogitsVocab, Tokenizer.VocabSize);

    /// <summary>
    /// One step. <paramref name="ids"/> and <paramref name="positions"/> are [batch, newLength]; <paramref name="mask"/> is
    /// [batch, past.Length + newLength]; buffers may be longer than that. Returns logits [batch, newLength, vocab] on the host.
    /// </summary>
    public (OrtTensor Logits, KvCache Present) Forward(long[] ids, long[] mask, long[] positions, int batch, int newLength, KvCache past)
    {
        var total = past.Length + newLength;
        if (ForcedAllocationFailure?.Invoke(batch, newLength, total) == true)
            throw new OnnxRuntimeException(OrtErrorCode.Fail, $"Failed to allocate memory for a batch of {batch} × {total} positions (forced by the test hook)");
        ForwardPasses++;
        using var idsTensor = OrtTensor.FromArray(Runtime, ids, [batch, newLength]);
        using var maskTensor = OrtTensor.FromArray(Runtime, mask, [batch, total]);
        using var positionTensor = Layout.PositionIds is null ? null : OrtTensor.FromArray(Runtime, positions, [batch, newLength]);
        _useCache[0] = past.Length > 0;
        using var useCacheTensor = Layout.UseCacheBranch is null ? null : OrtTensor.FromArray(Runtime, _useCache, [1]);
        OrtTensor[] outputs;
        if (KvOnHost && !UseIoBindingOnHost)
        {
            // On the CPU, plain Run is a little cheaper than binding (measured ~0.09 ms a step) and the outputs land on the host anyway.
            var names = _inputNames;
            var values = _inputValues;
            values[0] = idsTensor;
            values[1] = maskTensor;
            var n = 2;
            if (positionTensor is not null) values[n++] = positionTensor;
            if (useCacheTensor is not null) values[n++] = useCacheTensor;
            for (var i = 0; i < past.Tensors.Length; i++) values[n++] = past.Tensors[i];
            outputs = _session.Run(names, values, _outputNames);
            Array.Clear(values);
        }
        else
        {
            _binding.Clear();
            _binding.BindInput("input_ids", idsTensor);
            _binding.BindInput("attention_mask", maskTensor);
            if (positionTensor is not null) _binding.BindInput(Layout.PositionIds!, positionTensor);
            if (useCacheTensor is not null) _binding.BindInput(Layout.UseCacheBranch!, useCacheTensor);
            for (var l = 0; l < Layout.Layers.Count; l++)
            {
                _binding.BindInput(Layout.Layers[l].PastKey, past.Tensors[2 * l]);
                _binding.BindInput(Layout.Layers[l].PastValue, past.Tensors[2 * l + 1]);
            }
            _binding.BindOutputToDevice("logits", Runtime.CpuMemory);
            foreach (var layer in Layout.Layers)
            {
                _binding.BindOutputToDevice(layer.PresentKey, _kvMemory);
                _binding.BindOutputToDevice(layer.PresentValue, _kvMemory);
            }
            outputs = _binding.Run();
            // Inputs are referenced by the binding until cleared; clear before the managed buffers are unpinned.
            _binding.Clear();
        }
        return (outputs[0], new KvCache(outputs[1..], batch, total));
    }

    /// <summary>One row of logits ([batch·newLength] rows) as float32, valid until the next call.</summary>
    public unsafe ReadOnlySpan<float> LogitsRow(OrtTensor logits, int row)
    {
        var vocab = (int)logits.Shape[^1];
        if (logits.ElementType == TensorElementType.Float) return new ReadOnlySpan<float>((float*)logits.Data() + (long)row * vocab, vocab);
        if (_row.Length < vocab) _row = new float[vocab];
        logits.CopyTo(_row, (long)row * vocab, vocab);
        return _row.AsSpan(0, vocab);
    }

    /// <summary>
    /// Generates for several prompts at once. Prompts are left-padded to the longest; padded positions are masked out and
    /// position ids count only real tokens, so each row decodes as it would alone.
    /// </summary>
    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<int[]> prompts, GenerationSettings settings, Action<int, string>? onText = null, CancellationToken cancellationToken = default)
    {
        var batch = prompts.Count;
        if (batch == 0) return [];
        if (settings.MaxNewTokens <= 0) return prompts.Select(p => new GeneratedText([], "", "length", p.Length)).ToList();
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("every prompt needs at least one token");
        var promptLength = prompts.Max(p => p.Length);
        var capacity = promptLength + settings.MaxNewTokens;
        var padId = settings.EosIds.Count > 0 ? settings.EosIds.Min() : 0;
        var ids = new long[batch * promptLength];
        var mask = new long[batch * capacity];
        var positions = new long[batch * promptLength];
        var rowMask = new long[batch * capacity];
        var nextPosition = new long[batch];
        for (var b = 0; b < batch; b++)
        {
            var pad = promptLength - prompts[b].Length;
            for (var t = 0; t < promptLength; t++)
            {
                var real = t >= pad;
                ids[b * promptLength + t] = real ? prompts[b][t - pad] : padId;
                rowMask[b * capacity + t] = real ? 1 : 0;
                // Hugging Face fills padded positions with 1; the mask hides them anyway.
                positions[b * promptLength + t] = real ? t - pad : 1;
            }
            nextPosition[b] = prompts[b].Length;
        }
        var rows = new GenerationRow[batch];
        for (var b = 0; b < batch; b++) rows[b] = new GenerationRow(this, settings, prompts[b].Length);

        var length = promptLength;
        FillMask(mask, rowMask, batch, capacity, length);
        var past = KvCache.Empty(Runtime, Layout, batch);
        try
        {
            var (logits, present) = Forward(ids, mask, positions, batch, promptLength, past);
            past.Dispose();
            past = present;
            var stepIds = new long[batch];
            var stepPositions = new long[batch];
            for (var step = 0; ; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var newLength = step == 0 ? promptLength : 1;
                using (logits)
                {
                    for (var b = 0; b < batch; b++)
                    {
                        if (rows[b].Done) continue;
                        var token = rows[b].Sampler.Next(LogitsRow(logits, b * newLength + newLength - 1));
                        var delta = rows[b].Accept(token);
                        if (delta.Length > 0) onText?.Invoke(b, delta);
                    }
                }
                StepObserver?.Invoke(step);
                if (rows.All(r => r.Done)) break;
                for (var b = 0; b < batch; b++)
                {
                    stepIds[b] = rows[b].Done ? padId : rows[b].LastToken;
                    stepPositions[b] = nextPosition[b]++;
                    rowMask[b * capacity + length] = rows[b].Done ? 0 : 1;
                }
                length++;
                FillMask(mask, rowMask, batch, capacity, length);
                (logits, present) = Forward(stepIds, mask, stepPositions, batch, 1, past);
                past.Dispose();
                past = present;
            }
        }
        finally
        {
            past.Dispose();
        }
        return rows.Select(r => r.Result()).ToList();
    }

    private static void FillMask(long[] mask, long[] rowMask, int batch, int capacity, int length)
    {
        for (var b = 0; b < batch; b++) Array.Copy(rowMask, b * capacity, mask, b * length, length);
    }

    /// <summary>
    /// Log-likelihood of each continuation after <paramref name="context"/>. The context runs once; its cache is shared by
    /// every continuation (repeated across the batch when it lives in host memory), and continuations are batched longest
    /// first with right padding, which causal attention never lets earlier positions see.
    /// </summary>
    public IReadOnlyList<ContinuationScore> Score(int[] context, IReadOnlyList<int[]> continuations, int maxBatch = 8, CancellationToken cancellationToken = default)
    {
        if (context.Length == 0) throw new ArgumentException("the context needs at least one token (prefix one, e.g. BOS or end-of-text)");
        if (continuations.Any(c => c.Length == 0)) throw new ArgumentException("every continuation needs at least one token");
        var results = new double[continuations.Count];
        var greedy = new bool[continuations.Count];
        var c = context.Length;
        using var empty = KvCache.Empty(Runtime, Layout, 1);
        var (contextLogits, contextCache) = Forward(
            context.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, c).ToArray(), Enumerable.Range(0, c).Select(i => (long)i).ToArray(), 1, c, empty);
        using (contextCache)
        {
            using (contextLogits)
            {
                var last = LogitsRow(contextLogits, c - 1);
                for (var i = 0; i < continuations.Count; i++) (results[i], greedy[i]) = LogProb(last, continuations[i][0]);
            }
            var order = Enumerable.Range(0, continuations.Count).Where(i => continuations[i].Length > 1).OrderByDescending(i => continuations[i].Length).ToList();
            var batchSize = KvOnHost ? Math.Max(1, maxBatch) : 1;
            for (var start = 0; start < order.Count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var members = order.Skip(start).Take(batchSize).ToList();
                var b = members.Count;
                var l = members.Max(i => continuations[i].Length) - 1;
                var ids = new long[b * l];
                var mask = new long[b * (c + l)];
                var positions = new long[b * l];
                for (var r = 0; r < b; r++)
                {
                    var cont = continuations[members[r]];
                    for (var j = 0; j < c; j++) mask[r * (c + l) + j] = 1;
                    for (var j = 0; j < l; j++)
                    {
                        var real = j < cont.Length - 1;
                        ids[r * l + j] = real ? cont[j] : cont[0];
                        mask[r * (c + l) + c + j] = real ? 1 : 0;
                        positions[r * l + j] = c + j;
                    }
                }
                var shared = b == 1 ? null : contextCache.Repeat(Runtime, Layout, b);
                try
                {
                    var (logits, present) = Forward(ids, mask, positions, b, l, shared ?? contextCache);
                    present.Dispose();
                    using (logits)
                    {
                        for (var r = 0; r < b; r++)
                        {
                            var index = members[r];
                            var cont = continuations[index];
                            for (var j = 0; j < cont.Length - 1; j++)
                            {
                                var (lp, top) = LogProb(LogitsRow(logits, r * l + j), cont[j + 1]);
                                results[index] += lp;
                                greedy[index] &= top;
                            }
                        }
                    }
                }
                finally
                {
                    shared?.Dispose();
                }
            }
        }
        return continuations.Select((cont, i) => new ContinuationScore(results[i], greedy[i], cont.Length)).ToList();
    }

    /// <summary>
    /// Each token's log-probability given the tokens before it (from the second token on), with the <paramref name="top"/>
    /// most likely tokens at that position: one forward pass over the whole sequence. Uses the same log-softmax as
    /// <see cref="Score"/>, so a continuation's summed log-probabilities equal its score when the tokens are the same.
    /// </summary>
    public IReadOnlyList<PositionLogprobs> TokenLogprobs(int[] ids, int top, CancellationToken cancellationToken = default)
    {
        if (ids.Length == 0) throw new ArgumentException("the sequence needs at least one token");
        cancellationToken.ThrowIfCancellationRequested();
        var n = ids.Length;
        using var empty = KvCache.Empty(Runtime, Layout, 1);
        var (logits, present) = Forward(ids.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, n).ToArray(), Enumerable.Range(0, n).Select(i => (long)i).ToArray(), 1, n, empty);
        present.Dispose();
        using (logits)
        {
            var result = new PositionLogprobs[n - 1];
            for (var t = 1; t < n; t++)
            {
                var row = LogitsRow(logits, t - 1);
                result[t - 1] = new PositionLogprobs(LogProb(row, ids[t]).LogProb, TopLogprobs(row, top, SampleLimit));
            }
            return result;
        }
    }

    /// <summary>The <paramref name="k"/> most likely token ids among the first <paramref name="limit"/>, with their log-probabilities, best first.</summary>
    internal static (int Id, double Logprob)[] TopLogprobs(ReadOnlySpan<float> logits, int k, int limit)
    {
        if (k <= 0) return [];
        var max = float.NegativeInfinity;
        for (var i = 0; i < logits.Length; i++) max = Math.Max(max, logits[i]);
        double sum = 0;
        for (var i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        var logSum = Math.Log(sum);
        var best = new List<int>(k + 1);
        for (var i = 0; i < Math.Min(limit, logits.Length); i++)
        {
            if (best.Count == k && logits[i] <= logits[best[^1]]) continue;
            var at = best.Count;
            while (at > 0 && logits[best[at - 1]] < logits[i]) at--;
            best.Insert(at, i);
            if (best.Count > k) best.RemoveAt(k);
        }
        var top = new (int Id, double Logprob)[best.Count];
        for (var j = 0; j < best.Count; j++) top[j] = (best[j], logits[best[j]] - max - logSum);
        return top;
    }

    /// <summary>log softmax(logits)[target], in double, and whether the target is the argmax.</summary>
    internal static (double LogProb, bool IsArgmax) LogProb(ReadOnlySpan<float> logits, int target)
    {
        var max = float.NegativeInfinity;
        var argmax = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] > max)
            {
                max = logits[i];
                argmax = i;
            }
        }
        double sum = 0;
        for (var i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        return (logits[target] - max - Math.Log(sum), argmax == target);
    }

    public void Dispose()
    {
        _binding.Dispose();
        _session.Dispose();
        if (_kvMemory != Runtime.CpuMemory) _kvMemory.Dispose();
    }

    /// <summary>Per-row decoding state: sampler, streamed text, stop-string and EOS checks.</summary>
    internal sealed class GenerationRow(CausalLM model, GenerationSettings settings, int promptTokens)
    {
        private readonly List<int> _tokens = [];
        private readonly StreamingDecoder _decoder = new(model.Tokenizer, skipSpecialTokens: true);
        private readonly System.Text.StringBuilder _text = new();
        private string? _finish;
        private int _emitted;

        public Sampler Sampler { get; } = new(settings.Sampling, model.SampleLimit);

        public bool Done => _finish is not null;

        public int LastToken => _tokens[^1];

        /// <summary>The tokens taken so far (a row that leaves the cache rejoins by prefilling the prompt and these).</summary>
        public IReadOnlyList<int> Tokens => _tokens;

        /// <summary>Takes the sampled token and returns the text that is now safe to stream.</summary>
        public string Accept(int token)
        {
            if (settings.EosIds.Contains(token))
            {
                _finish = "eos";
                return Flush();
            }
            _tokens.Add(token);
            var before = _text.Length;
            _text.Append(_decoder.Push(token));
            if (settings.StopStrings.Count > 0 && _text.Length > before)
            {
                var text = _text.ToString();
                var cut = -1;
                foreach (var stop in settings.StopStrings)
                {
                    if (stop.Length == 0) continue;
                    var at = text.IndexOf(stop, Math.Max(0, before - stop.Length + 1), StringComparison.Ordinal);
                    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
                }
                if (cut >= 0)
                {
                    _text.Length = cut;
                    _finish = "stop";
                    return Flush();
                }
            }
            if (_tokens.Count >= settings.MaxNewTokens)
            {
                _finish = "length";
                _text.Append(_decoder.Flush());
                return Flush();
            }
            // Hold back a tail that could still grow into a stop string, so streamed text never contains one.
            var safe = _text.Length - HeldBack();
            if (safe <= _emitted) return "";
            var delta = _text.ToString(_emitted, safe - _emitted);
            _emitted = safe;
            return delta;
        }

        private string Flush()
        {
            if (_emitted >= _text.Length) return "";
            var delta = _text.ToString(_emitted, _text.Length - _emitted);
            _emitted = _text.Length;
            return delta;
        }

        private int HeldBack()
        {
            var held = 0;
            foreach (var stop in settings.StopStrings)
            {
                for (var k = Math.Min(stop.Length - 1, _text.Length); k > held; k--)
                {
                    var match = true;
                    for (var i = 0; i < k && match; i++) match = _text[_text.Length - k + i] == stop[i];
                    if (match)
                    {
                        held = k;
                        break;
                    }
                }
            }
            return held;
        }

        public GeneratedText Result() => new([.. _tokens], _text.ToString(), _finish ?? "length", promptTokens);
    }
}
