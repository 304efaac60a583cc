using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Runner.Tests.Onnx.Oracle;

namespace Evals.Runner.Tests.Onnx;

/// <summary>One tiny model folder per test class, written to a temp directory and removed afterwards, with a CPU backend over it.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public const ulong Seed = 7;

    public TinyModelFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"evals-tiny-{Guid.NewGuid():N}");
        Config = TinyModelWriter.Write(Folder, Seed);
        Oracle = new DecoderOracle(Folder);
        Backend = OnnxBackend.Create(ModelSpec.Parse($"onnx:{Folder}?threads=1"));
    }

    public string Folder { get; }

    public TinyModelConfig Config { get; }

    public OnnxBackend Backend { get; }

    /// <summary>The independent forward pass over the weights stored in the folder's model.onnx.</summary>
    internal DecoderOracle Oracle { get; }

    internal CausalLM Model => Backend.Model;

    /// <summary>Logits [T, V] for a whole sequence without any cache: the full-recompute path.</summary>
    internal float[] FullLogits(IReadOnlyList<int> ids)
    {
        var model = Model;
        using var empty = KvCache.Empty(model.Runtime, model.Layout, 1);
        var (logits, present) = model.Forward(ids.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, ids.Count).ToArray(),
            Enumerable.Range(0, ids.Count).Select(i => (long)i).ToArray(), 1, ids.Count, empty);
        present.Dispose();
        using (logits) return logits.Span<float>().ToArray();
    }

    public void Dispose()
    {
        Backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
