using Evals.Benchmarks.Models;
using Xunit.Abstractions;

namespace Evals.Runner.Tests.Onnx;

/// <summary>Raw completions (/v1/completions) go through the engine's batcher as chat requests do.</summary>
public sealed class CompletionBatchingTests(TinyModelFixture tiny, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
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

        var generation = backend.BatchFigures!.Value.Generation;
        var (passes, batches, rows) = (backend.Model.ForwardPasses, generation.Batches, generation.Rows);
        var together = await Task.WhenAll(requests.Select(r => backend.CompleteAsync(r)));
        Assert.Equal(alone.Select(a => (a.Text, a.CompletionTokens, a.FinishReason)), together.Select(t => (t.Text, t.CompletionTokens, t.FinishReason)));
        Assert.Equal(alone[3].Tokens!.Select(t => (t.Token, t.Logprob)), together[3].Tokens!.Select(t => (t.Token, t.Logprob)));
        // Each request alone takes one prefill and one pass per further token (plus one for logprobs); together they share them.
        var alonePasses = alone.Sum(a => a.CompletionTokens) + 1;
        var togetherPasses = backend.Model.ForwardPasses - passes;
        var meanBatch = (double)(generation.Rows - rows) / (generation.Batches - batches);
        output.WriteLine($"8 concurrent completions: {togetherPasses} forward passes (batch 1 needs {alonePasses}), mean batch {meanBatch:0.0}; {backend.Description}");
        Assert.True(meanBatch >= 4, $"mean batch {meanBatch:0.0}: concurrent completions did not share passes");
        Assert.True(togetherPasses * 3 < alonePasses, $"{togetherPasses} passes together against {alonePasses} alone");
    }
}
