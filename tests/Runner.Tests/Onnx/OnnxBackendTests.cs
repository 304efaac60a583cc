using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.Native;
using Evals.Runner.Backends.Onnx.TinyModel;

namespace Evals.Runner.Tests.Onnx;

public sealed class OnnxBackendTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly TaskContext Task = new("smoke/tiny", null);

    [Fact]
    public async Task Backend_from_a_spec_generates_until_a_stop_and_scores_choices()
    {
        var backend = tiny.Backend;
        Assert.True(backend.Capabilities.LogLikelihood);
        Assert.Contains("CPUExecutionProvider", backend.DeviceReport);
        Assert.Contains("libonnxruntime.so.1", backend.DeviceReport);

        var free = await backend.GenerateAsync(new GenerateRequest(Task, "1", "问题：你好吗？", [], new DecodingOptions(MaxTokens: 24)));
        Assert.Equal("length", free.FinishReason);
        Assert.Equal(24, free.CompletionTokens);
        Assert.Equal(backend.Folder.Tokenizer.Encode(backend.RenderPrompt("问题：你好吗？")).Length, free.PromptTokens);
        Assert.StartsWith("<|im_start|>user\n问题：你好吗？<|im_end|>\n<|im_start|>assistant\n", backend.RenderPrompt("问题：你好吗？"));

        var scores = await backend.ScoreChoicesAsync(new ChoiceRequest(Task, "2", "问题：下列哪一项是正确的？答案是：", ["A", "B", "正确", "世界"]));
        Assert.Equal(4, scores.LogLikelihoods.Count);
        Assert.All(scores.LogLikelihoods, ll => Assert.True(ll < 0 && double.IsFinite(ll)));
        Assert.True(scores.PromptTokens > 0);
    }

    [Fact]
    public void Context_spaces_move_to_the_continuation_and_an_empty_context_gets_a_prefix()
    {
        var backend = tiny.Backend;
        var tokenizer = backend.Folder.Tokenizer;
        var (context, continuations) = backend.EncodeChoices("The answer is ", ["A"]);
        Assert.Equal(tokenizer.Encode("The answer is"), context);
        Assert.Equal(tokenizer.Encode(" A"), continuations[0]);
        var (empty, _) = backend.EncodeChoices("", ["A"]);
        Assert.Equal([tokenizer.TokenToId("<|endoftext|>")!.Value], empty);
    }

    [Fact]
    public void Unknown_options_and_bad_values_are_errors()
    {
        var e = Assert.Throws<ModelSpecException>(() => OnnxBackend.Create(ModelSpec.Parse($"onnx:{tiny.Folder}?devise=cpu")));
        Assert.Contains("devise", e.Message);
        Assert.Contains("device", e.Message);
        Assert.Throws<ModelSpecException>(() => OnnxBackend.Create(ModelSpec.Parse($"onnx:{tiny.Folder}?device=tpu")));
    }

    [Fact]
    public void A_folder_without_the_expected_files_lists_what_is_missing_and_what_is_there()
    {
        var folder = Directory.CreateTempSubdirectory("evals-bad-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
            File.WriteAllText(Path.Combine(folder, "weights.bin"), "");
            var e = Assert.Throws<ModelFolderException>(() => OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder}")));
            Assert.Contains("model.onnx", e.Message);
            Assert.Contains("missing: model.onnx or onnx/model.onnx, tokenizer.json", e.Message);
            Assert.Contains("found: config.json, weights.bin", e.Message);
            Assert.Throws<ModelFolderException>(() => OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder}/nope")));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void A_model_without_a_kv_cache_is_rejected_with_its_inputs_listed()
    {
        var folder = Directory.CreateTempSubdirectory("evals-nokv-").FullName;
        try
        {
            foreach (var name in new[] { "config.json", "tokenizer.json" }) File.Copy(Path.Combine(tiny.Folder, name), Path.Combine(folder, name));
            var g = new OnnxGraphBuilder();
            var ids = g.Input("input_ids", OnnxGraphBuilder.Int64, "batch_size", "sequence_length");
            g.OpNamed("logits", "Gather", [g.Initializer("embed", new float[tiny.Config.VocabSize * 4], tiny.Config.VocabSize, 4), ids], ("axis", 0L));
            g.Output("logits", OnnxGraphBuilder.Float, "batch_size", "sequence_length", 4);
            File.WriteAllBytes(Path.Combine(folder, "model.onnx"), g.ToModel("no_kv"));
            var e = Assert.Throws<ModelFolderException>(() => OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder}")));
            Assert.Contains("input 'attention_mask' is missing", e.Message);
            Assert.Contains("no past_key_values.N.key/value inputs", e.Message);
            Assert.Contains("Found inputs: input_ids Int64[batch_size,sequence_length]", e.Message);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public async Task Device_cuda_runs_on_cuda_or_fails_clearly_and_auto_says_which_it_used()
    {
        // Whether this machine has a usable CUDA provider is read from what device=cuda does, and each branch asserts what
        // the device report must say there: the test holds on a GPU machine as on a CPU-only one.
        OnnxBackend? cuda = null;
        OnnxDeviceException? refused = null;
        try
        {
            cuda = OnnxBackend.Create(ModelSpec.Parse($"onnx:{tiny.Folder}?device=cuda"));
        }
        catch (OnnxDeviceException e)
        {
            refused = e;
        }
        if (cuda is not null)
        {
            await using (cuda) Assert.StartsWith("CUDAExecutionProvider", cuda.DeviceReport);
        }
        else
        {
            Assert.StartsWith("device=cuda:", refused!.Message);
            Assert.Contains(ExecutionProviders.CudaProviderFile, refused.Message);
        }

        var missing = Path.Combine(tiny.Folder, "no-such-provider.so");
        var plugin = Assert.Throws<OnnxDeviceException>(() => OnnxBackend.Create(ModelSpec.Parse($"onnx:{tiny.Folder}?device=cuda&cuda_provider={missing}")));
        Assert.Contains(missing, plugin.Message);

        await using var auto = OnnxBackend.Create(ModelSpec.Parse($"onnx:{tiny.Folder}?device=auto"));
        if (refused is null)
        {
            Assert.StartsWith("CUDAExecutionProvider", auto.DeviceReport);
            Assert.DoesNotContain("fell back", auto.DeviceReport);
        }
        else
        {
            Assert.StartsWith("CPUExecutionProvider", auto.DeviceReport);
            Assert.Contains("device=auto fell back to CPU", auto.DeviceReport);
            Assert.Contains(OrtRuntime.Load().LibraryPath, auto.DeviceReport);
        }
    }

    [Fact]
    public void A_missing_library_gives_one_error_naming_the_path_tried()
    {
        var path = Path.Combine(Path.GetTempPath(), "evals-no-such-dir", "libonnxruntime.so.1");
        var e = Assert.Throws<OnnxLibraryException>(() => OnnxBackend.Create(ModelSpec.Parse($"onnx:{tiny.Folder}?library={path}")));
        Assert.Equal(path, e.PathTried);
        Assert.Contains($"not found at '{path}'", e.Message);
        Assert.Contains("spec's library option", e.Message);
        Assert.Contains(OrtRuntime.LibraryPathVariable, e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_library_gives_one_error_naming_it()
    {
        var path = Path.Combine(tiny.Folder, "not-a-library.so");
        File.WriteAllText(path, "plain text");
        var e = Assert.Throws<OnnxLibraryException>(() => OrtRuntime.Load(path));
        Assert.Contains($"at '{path}'", e.Message);
        Assert.Contains("could not be loaded", e.Message);
    }

    [Fact]
    public void The_runtime_reports_its_version_and_providers()
    {
        var runtime = OrtRuntime.Load();
        Assert.Equal("1.30.0", runtime.Version);
        Assert.Contains("CPUExecutionProvider", runtime.AvailableProviders);
    }
}
