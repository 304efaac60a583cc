using Evals.Runner.Backends.Onnx.TinyModel;

namespace Evals.Runner.Tests.Onnx;

/// <summary>One tiny model folder per test class, written to a temp directory and removed afterwards.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public const ulong Seed = 7;

    public TinyModelFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"evals-tiny-{Guid.NewGuid():N}");
        Config = TinyModelWriter.Write(Folder, Seed);
        Weights = TinyWeights.Create(Config, Seed);
    }

    public string Folder { get; }

    public TinyModelConfig Config { get; }

    internal TinyWeights Weights { get; }

    public void Dispose()
    {
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
