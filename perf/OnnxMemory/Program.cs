using System.Diagnostics;
using System.Globalization;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;

// Resident memory of the ONNX engine over many calls (issue 20: the bound moved out of HandleLeakTests, which keeps the
// exact count of live native objects). A one-layer model, one thread; each round scores --calls two-choice items through
// the public backend (a forward pass per choice, each with its own tensors and KV cache) and reports how much the
// process's resident set grew, after a full GC. A leak of native memory grows every round by a similar amount; ORT's
// arenas settle after the warm-up and then grow by nothing. Usage: Evals.OnnxMemory [--calls N (10000)] [--rounds N (5)]
var calls = 10_000;
var rounds = 5;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--calls": calls = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var folder = Directory.CreateTempSubdirectory("evals-onnx-memory-").FullName;
try
{
    TinyModelWriter.Write(folder, 3, config: new TinyModelConfig(Hidden: 16, Layers: 1, Heads: 2, KvHeads: 1, Intermediate: 16, MaxPositions: 16));
    await using var backend = OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder}?threads=1"));
    var request = new ChoiceRequest(new TaskContext("perf/memory", null), "m1", "天", ["地", "人"]);
    async Task CallsAsync(int n)
    {
        for (var i = 0; i < n; i++) await backend.ScoreChoicesAsync(request);
    }
    static long Resident()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Process.GetCurrentProcess().WorkingSet64;
    }

    await CallsAsync(200); // ORT's arenas and the JIT settle first
    var start = Resident();
    Console.WriteLine($"{calls:N0} calls per round, {rounds} rounds; resident after warm-up {start / 1e6:0.0} MB");
    var growth = new List<double>();
    var before = start;
    for (var r = 1; r <= rounds; r++)
    {
        var watch = Stopwatch.StartNew();
        await CallsAsync(calls);
        var after = Resident();
        growth.Add((after - before) / 1e6);
        Console.WriteLine($"round {r}: +{growth[^1]:0.0} MB resident ({after / 1e6:0.0} MB), {calls / watch.Elapsed.TotalSeconds:0} calls/s");
        before = after;
    }
    var median = growth.Order().ElementAt(growth.Count / 2);
    Console.WriteLine($"median growth per round {median:0.0} MB = {median * 1000 / calls:0.000} MB per 1,000 calls; total {(before - start) / 1e6:0.0} MB over {rounds * calls:N0} calls" +
        $" (the old test's bound: < 64 MB per 10,000 calls: {(median * 10_000 / calls < 64 ? "met" : "NOT met")})");
    return 0;
}
finally
{
    Directory.Delete(folder, recursive: true);
}
