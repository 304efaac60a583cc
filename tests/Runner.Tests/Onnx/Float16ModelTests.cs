using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.Native;
using Evals.Runner.Backends.Onnx.TinyModel;

namespace Evals.Runner.Tests.Onnx;

/// <summary>The tiny model with float16 KV cache and logits, as fp16 exports have them.</summary>
public sealed class Float16ModelTests(TinyModelFixture fp32) : IClassFixture<TinyModelFixture>, IAsyncLifetime
{
    private static readonly int[] s_prompt = [12, 200, 5, 77, 300, 41];
    private string _folder = "";
    private OnnxBackend? _backend;

    public Task InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("evals-fp16-").FullName;
        TinyModelWriter.Write(_folder, TinyModelFixture.Seed, config: new TinyModelConfig(Float16Io: true));
        _backend = OnnxBackend.Create(ModelSpec.Parse($"onnx:{_folder}?threads=1"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_backend is not null) await _backend.DisposeAsync();
        Directory.Delete(_folder, true);
    }

    private CausalLM Model => _backend!.Model;

    [Fact]
    public void The_layout_is_read_as_float16_and_cached_generation_equals_full_recompute()
    {
        Assert.Equal(TensorElementType.Float16, Model.Layout.KvType);
        var settings = new GenerationSettings(16, new SamplingOptions(), [], new HashSet<int>());
        var cached = Model.Generate([s_prompt], settings)[0].Tokens;
        var sequence = s_prompt.ToList();
        for (var step = 0; step < 16; step++)
        {
            using var empty = KvCache.Empty(Model.Runtime, Model.Layout, 1);
            var (logits, present) = Model.Forward(sequence.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, sequence.Count).ToArray(),
                Enumerable.Range(0, sequence.Count).Select(i => (long)i).ToArray(), 1, sequence.Count, empty);
            present.Dispose();
            using (logits) sequence.Add(Sampler.Argmax(Model.LogitsRow(logits, sequence.Count - 1), Model.SampleLimit));
        }
        Assert.Equal(sequence.Skip(s_prompt.Length), cached);
        var batch = Model.Generate([s_prompt, [3, 4, 5]], settings);
        Assert.Equal(cached, batch[0].Tokens);
    }

    [Fact]
    public void Float16_scores_agree_with_the_float32_model_and_the_shared_context_path()
    {
        int[] context = [12, 200, 5, 77];
        int[][] continuations = [[300, 41, 9], [7], [1, 2, 3, 4]];
        var shared = Model.Score(context, continuations, maxBatch: 8);
        var single = Model.Score(context, continuations, maxBatch: 1);
        var full = fp32.Model.Score(context, continuations);
        for (var i = 0; i < continuations.Length; i++)
        {
            Assert.Equal(single[i].LogLikelihood, shared[i].LogLikelihood, 1e-4);
            Assert.Equal(full[i].LogLikelihood, shared[i].LogLikelihood, 0.1);
        }
    }
}
