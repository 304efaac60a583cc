using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Caching;

namespace Evals.Runner.Tests.Backends;

/// <summary>The response cache's model key: what must miss the cache (answers may differ) and what must keep it.</summary>
public sealed class ModelIdentityTests
{
    private static string Id(string spec) => ModelIdentity.For(ModelSpec.Parse(spec));

    [Fact]
    public void An_option_that_changes_answers_is_another_model_and_one_that_changes_only_the_calling_is_not()
    {
        var plain = Id("openai:qwen-plus?base_url=http://127.0.0.1:9/v1&temperature=0");
        Assert.NotEqual(plain, Id("openai:qwen-plus?base_url=http://127.0.0.1:9/v1&temperature=0.7"));
        Assert.NotEqual(plain, Id("openai:qwen-plus?base_url=http://127.0.0.1:8/v1&temperature=0"));
        Assert.NotEqual(plain, Id("openai:qwen-max?base_url=http://127.0.0.1:9/v1&temperature=0"));
        Assert.NotEqual(plain, Id("openai:qwen-plus?base_url=http://127.0.0.1:9/v1"));
        // Order, politeness, keys, prices, refusal status codes and the start-up probe do not change an answer.
        Assert.Equal(plain, Id("openai:qwen-plus?temperature=0&base_url=http://127.0.0.1:9/v1"));
        Assert.Equal(plain, Id("openai:qwen-plus?base_url=http://127.0.0.1:9/v1&temperature=0&rpm=30&max_concurrency=4&timeout_s=9&retries=1"
            + "&key_env=EVALS_OTHER_KEY&price_in=1&price_out=2&refusal_codes=451&probe=false&stream=true"));
        Assert.True(ModelIdentity.Samples(ModelSpec.Parse("openai:m?temperature=0.7")));
        Assert.False(ModelIdentity.Samples(ModelSpec.Parse("openai:m?temperature=0")));
    }

    [Fact]
    public void A_model_file_or_replay_file_rewritten_in_place_is_another_model()
    {
        var folder = Directory.CreateTempSubdirectory("evals-identity-").FullName;
        try
        {
            var model = Path.Combine(folder, "model.onnx");
            File.WriteAllBytes(model, new byte[100]);
            File.SetLastWriteTimeUtc(model, new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc));
            var before = Id($"onnx:{folder}");
            Assert.Equal(before, Id($"onnx:{folder}?threads=2"));

            // Re-exported with the same size: only the time stamp differs.
            File.WriteAllBytes(model, new byte[100]);
            File.SetLastWriteTimeUtc(model, new DateTime(2026, 11, 2, 0, 0, 0, DateTimeKind.Utc));
            var reexported = Id($"onnx:{folder}");
            Assert.NotEqual(before, reexported);
            File.WriteAllBytes(model, new byte[101]);
            File.SetLastWriteTimeUtc(model, new DateTime(2026, 11, 2, 0, 0, 0, DateTimeKind.Utc));
            Assert.NotEqual(reexported, Id($"onnx:{folder}"));
            // Another weights file in the same folder is another model too.
            File.WriteAllBytes(Path.Combine(folder, "model_q4.onnx"), new byte[100]);
            Assert.NotEqual(Id($"onnx:{folder}"), Id($"onnx:{folder}?file=model_q4.onnx"));

            var replay = Path.Combine(folder, "outputs.jsonl");
            File.WriteAllText(replay, "{\"id\": \"1\", \"output\": \"A\"}\n");
            var replayed = Id($"baseline:replay?file={replay}");
            File.WriteAllText(replay, "{\"id\": \"1\", \"output\": \"B\"}\n");
            File.SetLastWriteTimeUtc(replay, File.GetLastWriteTimeUtc(replay).AddSeconds(5));
            Assert.NotEqual(replayed, Id($"baseline:replay?file={replay}"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
