using Evals.Benchmarks.Models;

namespace Evals.Runner.Tests.Onnx;

/// <summary>Raw completions (/v1/completions) go through the engine's batcher as chat requests do.</summary>
public sealed class CompletionBatchingTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public async Task Concurrent_completions_share_forward_passes_and_answer_as_they_do_one_at_a_time()
    {
        var backend = tiny.Backend;
        var requests = Enumerable.Range(0, 8)
            .Select(i => new TextCompletionRequest($"第{i}题：" + new string('好', i * 6), [], new DecodingOptions(Temperature: 0, MaxTokens: 10 + i), Echo: false, Logprobs: i == 3 ? 2 : null))
            .ToList();
        var alone = new List<TextCompletion>();
        foreach (var r in requests) alone.Add(await backend.CompleteAsync(r));
        Assert.Equal(1, backend.BatchFigures!.Value.Generation.LargestBatch);

        var together = await Task.WhenAll(requests.Select(r => backend.CompleteAsync(r)));
        Assert.Equal(alone.Select(a => (a.Text, a.CompletionTokens, a.FinishReason)), together.Select(t => (t.Text, t.CompletionTokens, t.FinishReason)));
        Assert.Equal(alone[3].Tokens!.Select(t => (t.Token, t.Logprob)), together[3].Tokens!.Select(t => (t.Token, t.Logprob)));
        Assert.True(backend.BatchFigures!.Value.Generation.LargestBatch > 1, "concurrent completions never met in one batch");
    }
}
