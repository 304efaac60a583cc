using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.TestKit;

namespace Evals.Runner.Tests.Onnx;

/// <summary>The in-process engine through the real CLI and a worker: a tiny model made by `onnx make-tiny`, run on the smoke suite.</summary>
[Collection(ProcessTests.Name)]
public sealed class OnnxCliTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_tiny_onnx_model_is_evaluated_on_the_smoke_suite_by_loglikelihood_and_by_generation()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var folder = Directory.CreateTempSubdirectory("evals-tiny-").FullName;
        var make = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "onnx", "make-tiny", "--out", folder);
        Assert.True(make.ExitCode == 0, make.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "model.onnx")));

        var json = Path.Combine(folder, "summary.json");
        var run = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"onnx:{folder}", "--suite", "smoke", "--wait", "--json", json);
        Assert.True(run.ExitCode == 0, run.ToString());
        using (var summary = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal("loglikelihood", summary.RootElement.GetProperty("mode").GetString());
            // The engine batched the items, and the run's record says at what rate and batch size.
            var backend = summary.RootElement.GetProperty("backend").GetString()!;
            Assert.Contains("batching across items: max_batch_tokens=", backend);
            Assert.Matches(@"scoring: \d+ tokens/s, mean batch [\d.]+ \(largest \d+\)", backend);
            foreach (var task in summary.RootElement.GetProperty("tasks").EnumerateObject())
            {
                // Every item was scored by the model: none errored, none unparseable (log-likelihood always picks an option).
                Assert.Equal(24, task.Value.GetProperty("n").GetInt32());
                Assert.Equal(0, task.Value.GetProperty("outcomes").GetProperty("error").GetInt32());
            }
        }

        // The same model, deterministic: a second run gives the same scores. --no-cache makes the model answer every item
        // again; without it the response cache would answer and the comparison could not fail.
        var again = Path.Combine(folder, "again.json");
        var rerun = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"onnx:{folder}", "--suite", "smoke", "--no-cache", "--wait", "--json", again);
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal(0, CachedItems(again));
        Assert.Equal(Scores(json), Scores(again));

        var generate = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"onnx:{folder}", "--suite", "smoke",
            "--mode", "generate", "--limit", "2", "--wait", "--json", Path.Combine(folder, "gen.json"));
        Assert.True(generate.ExitCode == 0, generate.ToString());
        using var gen = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "gen.json")));
        Assert.Equal("generate", gen.RootElement.GetProperty("mode").GetString());
        Assert.Equal(3, gen.RootElement.GetProperty("tasks").EnumerateObject().Count()); // the three smoke tasks
        Assert.All(gen.RootElement.GetProperty("tasks").EnumerateObject(), t => Assert.Equal(0, t.Value.GetProperty("outcomes").GetProperty("error").GetInt32()));
    }

    [Fact]
    public async Task Device_auto_records_in_the_run_which_provider_served_and_why_it_fell_back_if_it_did()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var folder = Directory.CreateTempSubdirectory("evals-tiny-auto-").FullName;
        TinyModelWriter.Write(folder, seed: 5);
        var json = Path.Combine(folder, "summary.json");
        // Two items per task keep this cheap: the point is what the run's record says served the model.
        var run = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"onnx:{folder}?device=auto", "--suite", "smoke",
            "--limit", "2", "--wait", "--json", json);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        var backend = summary.RootElement.GetProperty("backend").GetString();
        Assert.NotNull(backend);
        // The record says which provider served: CUDA where it can be used, otherwise CPU with the reason it fell back
        // (as on a machine whose onnxruntime lists CUDA but ships no provider library).
        if (backend.StartsWith("onnx: CUDAExecutionProvider", StringComparison.Ordinal))
        {
            Assert.DoesNotContain("fell back", backend);
        }
        else
        {
            Assert.StartsWith("onnx: CPUExecutionProvider", backend);
            Assert.Contains("device=auto fell back to CPU", backend);
            Assert.Contains("CUDA", backend[backend.IndexOf("fell back", StringComparison.Ordinal)..]);
        }
        Assert.All(summary.RootElement.GetProperty("tasks").EnumerateObject(), t => Assert.Equal(0, t.Value.GetProperty("outcomes").GetProperty("error").GetInt32()));
        summary.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Make_tiny_with_a_tokenizer_copies_its_files_and_sizes_the_vocabulary_to_it()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var source = Directory.CreateTempSubdirectory("evals-tok-").FullName;
        // The built-in tokenizer plus 300 extra special tokens: a vocabulary (about 650) larger than make-tiny's default of 384 rows.
        var tokenizer = JsonNode.Parse(TinyTokenizerBuilder.Build())!.AsObject();
        var added = tokenizer["added_tokens"]!.AsArray();
        var next = added.Max(t => t!["id"]!.GetValue<int>()) + 1;
        for (var i = 0; i < 300; i++)
        {
            added.Add(new JsonObject
            {
                ["id"] = next++, ["content"] = $"<|extra_{i}|>", ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        }
        var tokenizerFile = Path.Combine(source, "tokenizer.json");
        File.WriteAllText(tokenizerFile, tokenizer.ToJsonString());
        var tokenizerConfig = """{"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "chat_template": "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}", "evals_marker": 1}""";
        File.WriteAllText(Path.Combine(source, "tokenizer_config.json"), tokenizerConfig);

        var folder = Path.Combine(source, "model");
        var make = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "onnx", "make-tiny", "--out", folder, "--tokenizer", tokenizerFile, "--seed", "11");
        Assert.True(make.ExitCode == 0, make.ToString());
        Assert.Equal(File.ReadAllBytes(tokenizerFile), File.ReadAllBytes(Path.Combine(folder, "tokenizer.json")));
        Assert.Equal(tokenizerConfig, File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")));
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json"))))
        {
            Assert.Equal(11UL, config.RootElement.GetProperty("evals_tiny_seed").GetUInt64());
            Assert.Equal((next + 63) / 64 * 64, config.RootElement.GetProperty("vocab_size").GetInt32());
        }
        await using (var backend = OnnxBackend.Create(ModelSpec.Parse($"onnx:{folder}?threads=1")))
        {
            Assert.Equal((next + 63) / 64 * 64, backend.Model.Layout.LogitsVocab);
            Assert.Equal(next, backend.Model.Tokenizer.VocabSize);
            var scores = await backend.ScoreDetailedAsync("问题：答案是", [" A", " B"]);
            Assert.All(scores, s => Assert.True(double.IsFinite(s.LogLikelihood) && s.LogLikelihood < 0));
        }

        var missing = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "onnx", "make-tiny", "--out", folder, "--tokenizer", Path.Combine(source, "nope.json"));
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("nope.json", missing.StdErr);
        Directory.Delete(source, recursive: true);
    }

    [Fact]
    public async Task Make_tiny_writes_an_int4_matmulnbits_variant_that_a_run_evaluates_and_refuses_an_unknown_dtype()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var root = Directory.CreateTempSubdirectory("evals-tiny-int4-").FullName;
        var folder = Path.Combine(root, "int4");
        var make = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "onnx", "make-tiny", "--out", folder, "--dtype", "int4");
        Assert.True(make.ExitCode == 0, make.ToString());
        Assert.True(File.ReadAllBytes(Path.Combine(folder, "model.onnx")).AsSpan().IndexOf("MatMulNBits"u8) >= 0);

        var json = Path.Combine(root, "summary.json");
        var run = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"onnx:{folder}", "--suite", "smoke", "--limit", "2", "--wait", "--json", json);
        Assert.True(run.ExitCode == 0, run.ToString());
        using (var summary = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var tasks = summary.RootElement.GetProperty("tasks").EnumerateObject().ToList();
            Assert.Equal(3, tasks.Count);
            Assert.All(tasks, t => Assert.Equal(0, t.Value.GetProperty("outcomes").GetProperty("error").GetInt32()));
        }

        var bad = Path.Combine(root, "int8");
        var refused = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "onnx", "make-tiny", "--out", bad, "--dtype", "int8");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("--dtype: 'int8' is not one of fp32, fp16, int4", refused.StdErr);
        Assert.False(Directory.Exists(bad));
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task A_missing_model_folder_is_bad_input_named_in_one_line()
    {
        var result = await CliProcess.RunAsync(RunnerEnvironment.For(database.ConnectionString), TimeSpan.FromMinutes(1),
            "run", "--model", "onnx:/nonexistent/model-folder", "--suite", "smoke");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("/nonexistent/model-folder", result.StdErr);
    }

    private static int CachedItems(string file)
    {
        using var summary = JsonDocument.Parse(File.ReadAllText(file));
        return summary.RootElement.GetProperty("usage").GetProperty("cached_items").GetInt32();
    }

    private static Dictionary<string, double> Scores(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        return doc.RootElement.GetProperty("tasks").EnumerateObject().ToDictionary(t => t.Name, t => t.Value.GetProperty("score").GetDouble());
    }
}
