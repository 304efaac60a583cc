using Evals.Runner.Backends.Onnx;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx.Native;
using Evals.Runner.Backends.Onnx.TinyModel;

namespace Evals.Runner.Tests.Onnx;

[CollectionDefinition(nameof(HandleCounting), DisableParallelization = true)]
public sealed class HandleCounting;

/// <summary>
/// Counts live ORT objects process-wide, so it runs alone. A one-layer model keeps 10,000 runs to a few seconds. Resident
/// memory depends on the machine and the allocator, so it is measured, not bounded, in perf/run-onnx-memory.sh.
/// </summary>
[Collection(nameof(HandleCounting))]
public sealed class HandleLeakTests
{
    [Fact]
    public async Task Ten_thousand_runs_release_every_native_object_they_create()
    {
        var folder = Directory.CreateTempSubdirectory("evals-leak-").FullName;
        TinyModelWriter.Write(folder, 3, config: new TinyModelConfig(Hidden: 16, Layers: 1, Heads: 2, KvHeads: 1, Intermediate: 16, MaxPositions: 16));
        await using var backend = OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder}?threads=1"));
        var model = backend.Model;
        long[] ids = [5, 6, 7, 8], mask = [1, 1, 1, 1], positions = [0, 1, 2, 3];
        long liveDuringRun = 0;
        void RunOnce()
        {
            using var past = KvCache.Empty(model.Runtime, model.Layout, 1);
            var (logits, present) = model.Forward(ids, mask, positions, 1, 4, past);
            liveDuringRun = OrtHandle.LiveCount;
            present.Dispose();
            logits.Dispose();
        }
        for (var i = 0; i < 200; i++) RunOnce(); // warm ORT's arenas before measuring
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var handlesBefore = OrtHandle.LiveCount;
        for (var i = 0; i < 10_000; i++) RunOnce();
        // Each run holds native objects of its own (the logits, the present and past caches: more than one per layer),
        // so an equal count afterwards means they were all released, not that none were made.
        Assert.True(liveDuringRun >= handlesBefore + 3, $"{liveDuringRun} live during a run, {handlesBefore} before");
        Assert.Equal(handlesBefore, OrtHandle.LiveCount);
        Directory.Delete(folder, true);
    }
}
