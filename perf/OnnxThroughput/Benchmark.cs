using System.Diagnostics;
using System.Security.Cryptography;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;

namespace Evals.OnnxThroughput;

/// <summary>
/// Issue 3's benchmark: on one model.onnx, prefill and decode tokens/s of Evals' engine (CausalLM over our own C-API binding)
/// against a greedy loop in Node with onnxruntime-node, which loads the same libonnxruntime.so.1. Repeats alternate
/// between the two (and which goes first) so that load changes on a shared machine hit both alike; figures are medians.
/// Then managed bytes allocated per generated token at several lengths.
/// </summary>
internal static class Benchmark
{
    private static readonly int[] AllocationLengths = [32, 128, 512];
    private const int AllocationPrompt = 16;

    public static async Task RunAsync(Options o)
    {
        var ownFolder = o.ModelDir is null;
        var folder = o.ModelDir ?? Path.Combine(Path.GetTempPath(), $"evals-onnx-throughput-{Guid.NewGuid():N}");
        try
        {
            await RunInAsync(o, folder);
        }
        finally
        {
            if (ownFolder && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task RunInAsync(Options o, string folder)
    {
        var maxPositions = Math.Max(1024, Math.Max(o.Prompt + o.Decode + 1, AllocationPrompt + AllocationLengths[^1] + 1));
        var config = new TinyModelConfig(VocabSize: o.Vocab, Hidden: o.Hidden, Layers: o.Layers, Heads: o.Heads, KvHeads: o.KvHeads,
            Intermediate: o.Intermediate, MaxPositions: maxPositions);
        var write = Stopwatch.StartNew();
        config = TinyModelWriter.Write(folder, seed: 2026, tokenizerJson: null, config);
        var modelPath = Path.Combine(folder, "model.onnx");
        Console.WriteLine($"model: {Describe(config)}, {Parameters(config) / 1e6:F1} M parameters, model.onnx {new FileInfo(modelPath).Length / 1e6:F1} MB fp32 (written in {write.Elapsed.TotalSeconds:F1} s)");
        Console.WriteLine($"workload: prompt {o.Prompt} tokens, then {o.Decode} greedy decode steps, batch 1; {o.Repeats} repeats per engine, interleaved; intra-op threads {o.EffectiveThreads}, no spinning, all graph optimisations");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}, .NET {Environment.Version}");

        var device = o.Device == "cpu" ? "" : $"&device={o.Device}" + (o.CudaProvider is null ? "" : $"&cuda_provider={Path.GetFullPath(o.CudaProvider)}");
        await using var backend = OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder}?threads={o.EffectiveThreads}{device}"));
        var model = backend.Model;
        var library = model.Runtime.LibraryPath;
        Console.WriteLine($"evals: {backend.DeviceReport}; libonnxruntime sha256 {Sha256(library)}");
        var prompt = Enumerable.Range(0, o.Prompt).Select(i => (i * 37 + 11) % 256).ToArray();
        var limit = model.SampleLimit;

        // Warm-up: first-run costs (JIT, ORT's arena growth, page faults on the weights) are not what is measured.
        if (o.Batching)
        {
            BatchingBenchmark.Run(o, model);
            return;
        }
        var evalsWarm = EvalsGenerate(model, prompt, o.Decode);
        if (o.Device != "cpu") await CompareWithCpuAsync(folder, o, model, prompt, evalsWarm);
        if (!o.UseNode)
        {
            EvalsOnly(o, config, model, prompt);
            return;
        }

        var nodeLibrary = Path.Combine(o.EffectiveOrtNode, "bin", "napi-v6", "linux", "x64", "libonnxruntime.so.1");
        using var node = await NodeReference.StartAsync(o, modelPath, model.Layout.KvHeads, model.Layout.HeadDim);
        Console.WriteLine($"node:  onnxruntime-node {node.Versions} from {o.EffectiveOrtNode} on CPU; libonnxruntime sha256 {(File.Exists(nodeLibrary) ? Sha256(nodeLibrary) : "(not found)")}");
        var nodeWarm = await node.GenerateAsync(prompt, o.Decode, limit);
        var sameTokens = evalsWarm.Tokens.SequenceEqual(nodeWarm.Tokens);
        Console.WriteLine($"greedy tokens identical in both engines: {(sameTokens ? "yes" : "NO (first difference at " + FirstDifference(evalsWarm.Tokens, nodeWarm.Tokens) + ")")}");
        Console.WriteLine();

        var evals = new List<Timing>();
        var reference = new List<Timing>();
        for (var r = 0; r < o.Repeats; r++)
        {
            // Alternate which engine goes first so a slow stretch of the shared machine does not always land on the same one.
            if (r % 2 == 0)
            {
                evals.Add(EvalsGenerate(model, prompt, o.Decode));
                reference.Add(await node.GenerateAsync(prompt, o.Decode, limit));
            }
            else
            {
                reference.Add(await node.GenerateAsync(prompt, o.Decode, limit));
                evals.Add(EvalsGenerate(model, prompt, o.Decode));
            }
            Console.WriteLine($"repeat {r + 1}: prefill evals {Rate(o.Prompt, evals[^1].PrefillMs),8:N0} node {Rate(o.Prompt, reference[^1].PrefillMs),8:N0} tok/s | "
                + $"decode evals {Rate(o.Decode, evals[^1].DecodeMs),7:N1} node {Rate(o.Decode, reference[^1].DecodeMs),7:N1} tok/s   (load {LoadAverage()})");
        }
        Console.WriteLine();
        Report("prefill", evals.Select(t => Rate(o.Prompt, t.PrefillMs)).ToList(), reference.Select(t => Rate(o.Prompt, t.PrefillMs)).ToList());
        Report("decode ", evals.Select(t => Rate(o.Decode, t.DecodeMs)).ToList(), reference.Select(t => Rate(o.Decode, t.DecodeMs)).ToList());
        // CPU time is what the work cost, whatever else the shared machine was doing; the wall-time rates above are what a user sees.
        Console.WriteLine($"CPU per token (process, all threads): prefill evals {Median(evals.Select(t => t.PrefillCpuMs / o.Prompt).ToList()):F2} ms, node {Median(reference.Select(t => t.PrefillCpuMs / o.Prompt).ToList()):F2} ms, "
            + $"ratio {Median(reference.Select(t => t.PrefillCpuMs).ToList()) / Median(evals.Select(t => t.PrefillCpuMs).ToList()):F3}; "
            + $"decode evals {Median(evals.Select(t => t.DecodeCpuMs / o.Decode).ToList()):F2} ms, node {Median(reference.Select(t => t.DecodeCpuMs / o.Decode).ToList()):F2} ms, "
            + $"ratio {Median(reference.Select(t => t.DecodeCpuMs).ToList()) / Median(evals.Select(t => t.DecodeCpuMs).ToList()):F3} (node/evals: above 1 means Evals spends less)");
        // Per-repeat pairs ran back to back, so their ratios are less exposed to load drift than the ratio of medians.
        Console.WriteLine($"median of per-repeat ratios: prefill {Median(evals.Zip(reference, (e, n) => n.PrefillMs / e.PrefillMs).ToList()):F3}, decode {Median(evals.Zip(reference, (e, n) => n.DecodeMs / e.DecodeMs).ToList()):F3}");
        Console.WriteLine();

        ReportAllocations(model, prompt);
    }

    /// <summary>On a GPU machine: the same model on the CPU session is the oracle for the CUDA one (logits and greedy tokens).</summary>
    private static async Task CompareWithCpuAsync(string folder, Options o, CausalLM model, int[] prompt, Timing onDevice)
    {
        await using var cpu = OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder}?threads={o.EffectiveThreads}"));
        var cpuTokens = EvalsGenerate(cpu.Model, prompt, o.Decode).Tokens;
        var a = PrefillLogits(model, prompt);
        var b = PrefillLogits(cpu.Model, prompt);
        var maxDiff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        // TF32 or reordered reductions on the GPU move logits by ~1e-3 at most on this model; more means a real fault.
        // Scoring takes the other path: a context cache reused by several continuations (on a GPU it stays on the device).
        var context = prompt[..Math.Max(1, prompt.Length / 2)];
        int[][] continuations = [[.. prompt[..3]], [.. prompt[3..8]], [prompt[8]]];
        var scoreDiff = model.Score(context, continuations).Zip(cpu.Model.Score(context, continuations), (x, y) => Math.Abs(x.LogLikelihood - y.LogLikelihood)).Max();
        Console.WriteLine($"{o.Device} vs cpu: prefill logits max |diff| {maxDiff:G3} ({(maxDiff < 1e-2 ? "ok" : "TOO LARGE")}); continuation log-likelihoods max |diff| {scoreDiff:G3} "
            + $"({(scoreDiff < 1e-2 ? "ok" : "TOO LARGE")}); greedy tokens identical: "
            + (onDevice.Tokens.SequenceEqual(cpuTokens) ? "yes" : $"NO (first difference at {FirstDifference(onDevice.Tokens, cpuTokens)})"));
    }

    private static float[] PrefillLogits(CausalLM model, int[] prompt)
    {
        using var empty = KvCache.Empty(model.Runtime, model.Layout, 1);
        var (logits, present) = model.Forward(prompt.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, prompt.Length).ToArray(),
            Enumerable.Range(0, prompt.Length).Select(i => (long)i).ToArray(), 1, prompt.Length, empty);
        present.Dispose();
        using (logits) return logits.Span<float>().ToArray();
    }

    private static void EvalsOnly(Options o, TinyModelConfig config, CausalLM model, int[] prompt)
    {
        var runs = new List<Timing>();
        for (var r = 0; r < o.Repeats; r++) runs.Add(EvalsGenerate(model, prompt, o.Decode));
        var prefill = runs.Select(t => Rate(o.Prompt, t.PrefillMs)).ToList();
        var decode = runs.Select(t => Rate(o.Decode, t.DecodeMs)).ToList();
        Console.WriteLine($"prefill  evals {Median(prefill),9:N1} tok/s ({prefill.Min():N1} .. {prefill.Max():N1})");
        Console.WriteLine($"decode   evals {Median(decode),9:N1} tok/s ({decode.Min():N1} .. {decode.Max():N1})");
        ReportBandwidthLimit(config, model, Median(decode));
        ReportAllocations(model, prompt);
    }

    /// <summary>
    /// Decode at batch 1 reads every weight once per token (all but the embedding table, of which it gathers one row), so
    /// tokens/s cannot pass bandwidth ÷ weight bytes; how close it comes says whether the engine is bound by memory or by
    /// something else (kernel launches, threads, the managed loop).
    /// </summary>
    private static void ReportBandwidthLimit(TinyModelConfig c, CausalLM model, double decodeTokensPerSecond)
    {
        long h = c.Hidden;
        var weightsPerStep = Parameters(c) - (long)c.VocabSize * h;
        var bytesPerStep = weightsPerStep * 4;
        var bandwidth = MemoryBandwidth.MeasureBytesPerSecond();
        var limit = bandwidth / bytesPerStep;
        Console.WriteLine($"bandwidth limit: one-thread copy {bandwidth / 1e9:F2} GB/s (read + write, 256 MB buffers, best of 3; load {LoadAverage()}); "
            + $"weights read per decode step {bytesPerStep / 1e6:F1} MB (fp32, all but the embedding); limit {limit:N0} tok/s; "
            + $"decode at batch 1 {decodeTokensPerSecond:N1} tok/s = {100 * decodeTokensPerSecond / limit:F0}% of it (KV cache {model.Layout.KvType})");
    }

    private static void ReportAllocations(CausalLM model, int[] prompt)
    {
        Console.WriteLine($"managed bytes allocated by CausalLM.Generate (prompt {AllocationPrompt} tokens, greedy, batch 1; least of 3 calls):");
        var allocated = new List<(int Tokens, long Bytes)>();
        foreach (var n in AllocationLengths)
        {
            var p = prompt.Take(AllocationPrompt).ToArray();
            var bytes = Enumerable.Range(0, 3).Min(_ => Allocated(model, p, n));
            allocated.Add((n, bytes));
            var marginal = allocated.Count > 1
                ? $"; from {allocated[^2].Tokens} to {n} tokens {(double)(bytes - allocated[^2].Bytes) / (n - allocated[^2].Tokens),7:N0} B per extra token"
                : "";
            Console.WriteLine($"  {n,4} tokens: {bytes,10:N0} B, {(double)bytes / n,7:N0} B/token{marginal}");
        }
        var first = (double)(allocated[1].Bytes - allocated[0].Bytes) / (allocated[1].Tokens - allocated[0].Tokens);
        var last = (double)(allocated[^1].Bytes - allocated[^2].Bytes) / (allocated[^1].Tokens - allocated[^2].Tokens);
        Console.WriteLine($"per-token cost {(last <= first * 1.1 + 16 ? "flat (goal met)" : "GROWS with length (goal MISSED)")}: {first:N0} then {last:N0} B per extra token");
    }

    private static Timing EvalsGenerate(CausalLM model, int[] prompt, int decode)
    {
        // No EOS ids and no stop strings: exactly decode+1 tokens, as in the Node loop.
        var settings = new GenerationSettings(decode + 1, new SamplingOptions(), [], new HashSet<int>());
        long afterPrefill = 0, afterLast = 0;
        TimeSpan cpuAfterPrefill = default, cpuAfterLast = default;
        model.StepObserver = step =>
        {
            if (step == 0)
            {
                afterPrefill = Stopwatch.GetTimestamp();
                cpuAfterPrefill = Environment.CpuUsage.TotalTime;
            }
            if (step == decode)
            {
                afterLast = Stopwatch.GetTimestamp();
                cpuAfterLast = Environment.CpuUsage.TotalTime;
            }
        };
        try
        {
            var cpuStart = Environment.CpuUsage.TotalTime;
            var start = Stopwatch.GetTimestamp();
            var result = model.Generate([prompt], settings)[0];
            return new Timing(Stopwatch.GetElapsedTime(start, afterPrefill).TotalMilliseconds, Stopwatch.GetElapsedTime(afterPrefill, afterLast).TotalMilliseconds, result.Tokens,
                (cpuAfterPrefill - cpuStart).TotalMilliseconds, (cpuAfterLast - cpuAfterPrefill).TotalMilliseconds);
        }
        finally
        {
            model.StepObserver = null;
        }
    }

    private static long Allocated(CausalLM model, int[] prompt, int newTokens)
    {
        var settings = new GenerationSettings(newTokens, new SamplingOptions(), [], new HashSet<int>());
        var before = GC.GetAllocatedBytesForCurrentThread();
        model.Generate([prompt], settings);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void Report(string what, List<double> evals, List<double> node)
    {
        var ratio = Median(evals) / Median(node);
        Console.WriteLine($"{what}  evals {Median(evals),9:N1} tok/s ({evals.Min():N1} .. {evals.Max():N1})   node {Median(node),9:N1} tok/s ({node.Min():N1} .. {node.Max():N1})   "
            + $"ratio {ratio:F3} (goal >= 0.95: {(ratio >= 0.95 ? "met" : "MISSED")})");
    }

    private static double Rate(int tokens, double ms) => tokens / (ms / 1000);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static int FirstDifference(int[] a, int[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++) if (a[i] != b[i]) return i;
        return n;
    }

    private static string Describe(TinyModelConfig c) =>
        $"{c.Layers} layers, hidden {c.Hidden}, {c.Heads} heads ({c.KvHeads} KV) × {c.HeadDim}, SwiGLU {c.Intermediate}, vocab {c.VocabSize}";

    private static long Parameters(TinyModelConfig c)
    {
        long h = c.Hidden, kv = (long)c.KvHeads * c.HeadDim;
        var layer = h * h * 2 + h * kv * 2 + 3 * h * c.Intermediate + 2 * h;
        return 2L * c.VocabSize * h + c.Layers * layer + h;
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream))[..16] + "…";
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
