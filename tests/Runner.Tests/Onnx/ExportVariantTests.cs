using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.Native;
using Evals.Runner.Backends.Onnx.TinyModel;
using Xunit.Abstractions;

namespace Evals.Runner.Tests.Onnx;

/// <summary>
/// The fp16 and int4 (MatMulNBits) variants that <c>make-tiny --dtype</c> writes, run by the real ONNX Runtime through the
/// engine, against the float32 model of the same seed: logits, greedy tokens, and the batched paths within the variant.
/// </summary>
public sealed class ExportVariantTests(TinyModelFixture fp32, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private static readonly BatchBudget Roomy = new(BatchBudget.DefaultMaxBatchTokens, 32, 1L << 32);

    private static TinyModelConfig ConfigOf(string variant) => variant switch
    {
        "fp16" => new TinyModelConfig(Float16Io: true, Weights: TinyWeightType.Float16),
        "fp16-weights-fp32-io" => new TinyModelConfig(Weights: TinyWeightType.Float16),
        "int4" => new TinyModelConfig(Weights: TinyWeightType.Int4),
        _ => throw new ArgumentOutOfRangeException(nameof(variant)),
    };

    private static readonly GenerationSettings Greedy = new(8, new SamplingOptions(), [], new HashSet<int>());

    /// <summary>
    /// fp16 rounds weights and activations to 11 significant bits; on logits of magnitude up to ~18 (the tiny model's peaked
    /// LM head) that is a few hundredths, and greedy choices stay the fp32 ones.
    /// </summary>
    [Theory]
    [InlineData("fp16")]
    [InlineData("fp16-weights-fp32-io")]
    public async Task The_fp16_variant_agrees_with_the_float32_model_within_0_05_and_decodes_the_same_greedy_tokens(string variant)
    {
        var config = ConfigOf(variant);
        using var folder = new TempFolder(variant);
        TinyModelWriter.Write(folder.Path, TinyModelFixture.Seed, config: config);
        await using var backend = OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder.Path}?threads=1"));
        var io = config.Float16Io ? TensorElementType.Float16 : TensorElementType.Float;
        var (maxDiff, agreement) = Compare(backend.Model, fp32.Model, io, variant, "fp32");
        Assert.True(maxDiff <= 0.05, $"max logit diff {maxDiff}");
        Assert.Equal(1.0, agreement);
        AssertSameGreedyTokens(backend.Model, fp32.Model);
        AssertScores(backend.Model, fp32.Model, 0.05);
    }

    /// <summary>
    /// The int4 model (MatMulNBits) is checked twice. Against a float32 model holding its dequantized weights it must agree to
    /// float rounding, token for token: that pins the packing, scales and zero points. Against the original float32 weights
    /// 4-bit rounding (two blocks per column at hidden 64) moves logits by up to 2.0 (tolerance 3) and, the weights being
    /// random with no margin between their top choices, flips the argmax at 11 of 48 positions; there the test asks for
    /// at least two thirds of positions with the same argmax and reports where greedy decoding first parts (step 5 of 8).
    /// </summary>
    [Fact]
    public async Task The_int4_variant_equals_its_dequantized_weights_and_stays_near_the_float32_model()
    {
        using var folder = new TempFolder("int4");
        using var dequantized = new TempFolder("int4-dequantized");
        var config = TinyModelWriter.Write(folder.Path, TinyModelFixture.Seed, config: ConfigOf("int4"));
        TinyModelWriter.Write(dequantized.Path, TinyModelFixture.Seed);
        File.WriteAllBytes(Path.Combine(dequantized.Path, "model.onnx"),
            TinyModelWriter.BuildGraph(TinyWeights.Create(config, TinyModelFixture.Seed).WithInt4RoundTrip()));
        var onnx = File.ReadAllBytes(Path.Combine(folder.Path, "model.onnx"));
        Assert.True(onnx.AsSpan().IndexOf("MatMulNBits"u8) >= 0 && onnx.AsSpan().IndexOf("com.microsoft"u8) >= 0, "the int4 model has no com.microsoft.MatMulNBits node");
        await using var int4 = OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder.Path}?threads=1"));
        await using var reference = OnnxBackend.Create(ModelSpec.Parse($"onnx:{dequantized.Path}?threads=1"));

        var (exactDiff, exactAgreement) = Compare(int4.Model, reference.Model, TensorElementType.Float, "int4", "fp32 of its dequantized weights");
        Assert.True(exactDiff <= 1e-4, $"max logit diff {exactDiff}");
        Assert.Equal(1.0, exactAgreement);
        AssertSameGreedyTokens(int4.Model, reference.Model);
        AssertScores(int4.Model, reference.Model, 1e-4);

        var (maxDiff, agreement) = Compare(int4.Model, fp32.Model, TensorElementType.Float, "int4", "fp32");
        Assert.True(maxDiff <= 3.0, $"max logit diff {maxDiff}");
        Assert.True(agreement >= 2.0 / 3, $"argmax agreement {agreement}");
    }

    /// <summary>
    /// optimum's merged decoder: the engine feeds <c>use_cache_branch</c> (false on the first pass, true with a cache). The
    /// graph ignores the past when it is false, so a wrong flag on a cached step would change every decoded token.
    /// </summary>
    [Fact]
    public async Task A_merged_decoder_with_use_cache_branch_decodes_exactly_as_the_plain_model()
    {
        using var folder = new TempFolder("merged");
        TinyModelWriter.Write(folder.Path, TinyModelFixture.Seed, config: new TinyModelConfig(MergedDecoder: true));
        await using var merged = OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder.Path}?threads=1"));
        Assert.Equal("use_cache_branch", merged.Model.Layout.UseCacheBranch);
        var (maxDiff, agreement) = Compare(merged.Model, fp32.Model, TensorElementType.Float, "merged decoder", "the plain fp32 model");
        Assert.True(maxDiff <= 1e-5, $"max logit diff {maxDiff}");
        Assert.Equal(1.0, agreement);
        AssertSameGreedyTokens(merged.Model, fp32.Model);
        AssertScores(merged.Model, fp32.Model, 1e-5);
    }

    private (double MaxDiff, double ArgmaxAgreement) Compare(CausalLM model, CausalLM reference, TensorElementType io, string variant, string referenceName)
    {
        Assert.Equal(io, model.Layout.KvType);
        var prompt = Prompt(48);
        var (logits, logitsType) = FullLogits(model, prompt);
        var (expected, _) = FullLogits(reference, prompt);
        Assert.Equal(io, logitsType);
        Assert.Equal(expected.Length, logits.Length);
        var maxDiff = expected.Zip(logits, (a, b) => (double)Math.Abs(a - b)).Max();
        var vocab = model.Layout.LogitsVocab;
        var same = Enumerable.Range(0, prompt.Length)
            .Count(t => Sampler.Argmax(logits.AsSpan(t * vocab, vocab), vocab) == Sampler.Argmax(expected.AsSpan(t * vocab, vocab), vocab));
        var greedy = Prompts().Select(p => (Mine: model.Generate([p], Greedy)[0].Tokens, Theirs: reference.Generate([p], Greedy)[0].Tokens))
            .Select(x => x.Mine.Zip(x.Theirs).TakeWhile(y => y.First == y.Second).Count());
        output.WriteLine($"{variant} against {referenceName}: max |logit diff| over {prompt.Length} positions = {maxDiff:G3} "
            + $"(largest |logit| {expected.Max(Math.Abs):0.0}); same argmax at {same} of {prompt.Length} positions; "
            + $"greedy tokens the same for {string.Join(", ", greedy)} of {Greedy.MaxNewTokens} steps");
        return (maxDiff, (double)same / prompt.Length);
    }

    private static void AssertSameGreedyTokens(CausalLM model, CausalLM reference)
    {
        var prompts = Prompts();
        var expected = prompts.Select(p => reference.Generate([p], Greedy)[0].Tokens).ToList();
        var alone = prompts.Select(p => model.Generate([p], Greedy)[0].Tokens).ToList();
        var batched = BatchedGeneration.Generate(model, prompts.Select(p => new GenerationJob(p, Greedy)).ToList(), Roomy, new BatchStats());
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i], alone[i]);
            Assert.Equal(alone[i], batched[i]!.Tokens);
        }
    }

    private static void AssertScores(CausalLM model, CausalLM reference, double tolerance)
    {
        var prompt = Prompt(48);
        int[][] continuations = [prompt[20..23], prompt[20..21], prompt[20..30]];
        var scores = model.Score(prompt[..20], continuations);
        var expected = reference.Score(prompt[..20], continuations);
        for (var i = 0; i < scores.Count; i++) Assert.Equal(expected[i].LogLikelihood, scores[i].LogLikelihood, tolerance);
    }

    private static int[] Prompt(int length)
    {
        var random = new Random(3);
        return Enumerable.Range(0, length).Select(_ => random.Next(4, 384)).ToArray();
    }

    private static int[][] Prompts()
    {
        var prompt = Prompt(48);
        return [prompt[..5], prompt[..17], prompt];
    }

    private static (float[] Logits, TensorElementType Type) FullLogits(CausalLM model, int[] ids)
    {
        using var empty = KvCache.Empty(model.Runtime, model.Layout, 1);
        var (logits, present) = model.Forward(ids.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, ids.Length).ToArray(),
            Enumerable.Range(0, ids.Length).Select(i => (long)i).ToArray(), 1, ids.Length, empty);
        present.Dispose();
        using (logits)
        {
            var rows = new float[ids.Length * model.Layout.LogitsVocab];
            for (var t = 0; t < ids.Length; t++) model.LogitsRow(logits, t).CopyTo(rows.AsSpan(t * model.Layout.LogitsVocab));
            return (rows, logits.ElementType);
        }
    }

    private sealed class TempFolder(string name) : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory($"evals-{name}-").FullName;

        public void Dispose() => Directory.Delete(Path, true);
    }
}
