using Evals.Benchmarks.Models;
using Evals.Runner.Cli;
using Evals.Runner.Tests.Onnx;

namespace Evals.Runner.Tests.Cli;

/// <summary>The CLI's progress line reads the engine's tokens/s and batch size out of the live backend report.</summary>
public sealed class EngineProgressTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public async Task The_progress_suffix_carries_the_tokens_per_second_and_mean_batch_of_the_backend_report()
    {
        Assert.Equal("", EngineProgress.From(tiny.Backend.Description));
        var context = new TaskContext("progress", null);
        var requests = Enumerable.Range(0, 6).Select(i => new ChoiceRequest(context, $"q{i}", $"问题{i}：" + new string('好', i * 5), ["甲", "乙"], null)).ToList();
        await tiny.Backend.ScoreChoicesBatchAsync(requests);

        var scoring = tiny.Backend.BatchFigures!.Value.Scoring;
        Assert.True(scoring.Batches > 0);
        Assert.Equal($"scoring {scoring.TokensPerSecond:0} tokens/s, batch {scoring.MeanBatch:0.#}", EngineProgress.From(tiny.Backend.Description));
        Assert.Equal("", EngineProgress.From("openai: https://example.test/v1 (gpt-x)"));
        Assert.Equal("", EngineProgress.From(null));
    }
}
