using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Runner.Tests.Onnx.Oracle;

namespace Evals.Runner.Tests.Onnx;

public sealed class CausalLMTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly int[] s_prompt = [12, 200, 5, 77, 300, 41, 9, 150];

    private static GenerationSettings Greedy(int maxNewTokens, params string[] stops) =>
        new(maxNewTokens, new SamplingOptions(), stops, new HashSet<int>());

    [Fact]
    public void Prefill_and_32_cached_decode_steps_match_the_oracle_within_1e_4()
    {
        var model = tiny.Model;
        var vocab = tiny.Config.VocabSize;
        var sequence = s_prompt.Concat(Enumerable.Range(0, 32).Select(i => (i * 37 + 11) % vocab)).ToArray();
        var reference = tiny.Oracle.Forward(sequence);
        var maxDiff = 0.0;

        var past = KvCache.Empty(model.Runtime, model.Layout, 1);
        var (logits, present) = model.Forward(s_prompt.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, s_prompt.Length).ToArray(),
            Enumerable.Range(0, s_prompt.Length).Select(i => (long)i).ToArray(), 1, s_prompt.Length, past);
        past.Dispose();
        past = present;
        using (logits)
        {
            for (var t = 0; t < s_prompt.Length; t++) maxDiff = Math.Max(maxDiff, MaxDiff(model.LogitsRow(logits, t), reference[t]));
        }
        var mask = Enumerable.Repeat(1L, sequence.Length).ToArray();
        for (var t = s_prompt.Length; t < sequence.Length; t++)
        {
            (logits, present) = model.Forward([sequence[t]], mask, [t], 1, 1, past);
            past.Dispose();
            past = present;
            Assert.Equal(t + 1, past.Length);
            using (logits) maxDiff = Math.Max(maxDiff, MaxDiff(model.LogitsRow(logits, 0), reference[t]));
        }
        past.Dispose();
        Assert.True(maxDiff < 1e-4, $"max |ORT - oracle| = {maxDiff}");
    }

    [Fact]
    public void A_prefill_over_every_position_matches_the_oracle_within_1e_4()
    {
        // Every row of the rotary tables is used once, so a wrong angle at any position shows.
        var vocab = tiny.Config.VocabSize;
        var sequence = Enumerable.Range(0, tiny.Config.MaxPositions).Select(i => (i * 131 + 7) % vocab).ToArray();
        var reference = tiny.Oracle.Forward(sequence);
        var logits = tiny.FullLogits(sequence);
        var maxDiff = 0.0;
        for (var t = 0; t < sequence.Length; t++) maxDiff = Math.Max(maxDiff, MaxDiff(logits.AsSpan(t * vocab, vocab), reference[t]));
        Assert.True(maxDiff < 1e-4, $"max |ORT - oracle| = {maxDiff}");
    }

    [Fact]
    public void Cached_greedy_generation_equals_full_recompute_token_for_token()
    {
        var cached = tiny.Model.Generate([s_prompt], Greedy(32))[0].Tokens;

        var sequence = s_prompt.ToList();
        var recomputed = new List<int>();
        for (var step = 0; step < 32; step++)
        {
            var logits = tiny.FullLogits(sequence);
            var vocab = tiny.Config.VocabSize;
            var next = Sampler.Argmax(logits.AsSpan((sequence.Count - 1) * vocab, vocab), tiny.Model.SampleLimit);
            recomputed.Add(next);
            sequence.Add(next);
        }
        Assert.Equal(recomputed, cached);
        Assert.Equal(32, cached.Length);
    }

    [Fact]
    public void Greedy_generation_is_deterministic_and_a_padded_batch_equals_one_by_one()
    {
        int[][] prompts = [s_prompt, [3, 4], [250, 251, 252, 253, 1]];
        var batch = tiny.Model.Generate(prompts, Greedy(20));
        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = tiny.Model.Generate([prompts[i]], Greedy(20))[0];
            Assert.Equal(alone.Tokens, batch[i].Tokens);
            Assert.Equal(alone.Text, batch[i].Text);
        }
        Assert.Equal(batch[0].Tokens, tiny.Model.Generate(prompts, Greedy(20))[0].Tokens);
    }

    [Fact]
    public void Seeded_sampling_repeats_and_top_k_1_is_greedy()
    {
        var sampled = new GenerationSettings(16, new SamplingOptions(Temperature: 1.5, TopP: 0.9, Seed: 1234), [], new HashSet<int>());
        var a = tiny.Model.Generate([s_prompt], sampled)[0].Tokens;
        var b = tiny.Model.Generate([s_prompt], sampled)[0].Tokens;
        Assert.Equal(a, b);
        var topK1 = tiny.Model.Generate([s_prompt], sampled with { Sampling = new SamplingOptions(Temperature: 2, TopK: 1, Seed: 5) })[0].Tokens;
        Assert.Equal(tiny.Model.Generate([s_prompt], Greedy(16))[0].Tokens, topK1);
        Assert.All(a, t => Assert.InRange(t, 0, tiny.Model.SampleLimit - 1));
    }

    [Fact]
    public void Generation_stops_at_a_stop_string_and_streams_exactly_the_final_text()
    {
        var free = tiny.Model.Generate([s_prompt], Greedy(40))[0];
        Assert.True(free.Text.Length >= 4, $"the tiny model should produce some text, got '{free.Text}'");
        var stop = free.Text.Substring(free.Text.Length / 2, 2);
        var streamed = new System.Text.StringBuilder();
        var stopped = tiny.Model.Generate([s_prompt], Greedy(40, stop), (_, delta) => streamed.Append(delta))[0];
        Assert.Equal("stop", stopped.FinishReason);
        Assert.Equal(free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        // A random model can emit byte sequences that are not UTF-8 at all; those decode to U+FFFD in both paths alike.
        Assert.Equal(stopped.Text, streamed.ToString());
    }

    [Fact]
    public void Generation_stops_at_an_eos_id()
    {
        var free = tiny.Model.Generate([s_prompt], Greedy(12))[0];
        var eos = free.Tokens[5];
        var settings = Greedy(12) with { EosIds = new HashSet<int> { eos } };
        var stopped = tiny.Model.Generate([s_prompt], settings)[0];
        Assert.Equal("eos", stopped.FinishReason);
        Assert.Equal(free.Tokens.TakeWhile(t => t != eos), stopped.Tokens);
    }

    [Fact]
    public void Loglikelihood_equals_the_oracle_log_softmax_and_the_shared_prefix_path_equals_the_naive_path()
    {
        int[] context = [12, 200, 5, 77];
        int[][] continuations = [[300], [41, 9, 150], [7, 8], [1, 2, 3, 4, 5]];
        var shared = tiny.Model.Score(context, continuations, maxBatch: 8);
        var oneByOne = tiny.Model.Score(context, continuations, maxBatch: 1);
        var vocab = tiny.Config.VocabSize;
        for (var i = 0; i < continuations.Length; i++)
        {
            var full = context.Concat(continuations[i]).ToArray();
            var reference = tiny.Oracle.Forward(full);
            var naive = tiny.FullLogits(full);
            double expected = 0, naiveSum = 0;
            var greedy = true;
            for (var j = 0; j < continuations[i].Length; j++)
            {
                var row = context.Length - 1 + j;
                expected += DecoderOracle.LogProb(reference[row], continuations[i][j]);
                var (lp, top) = CausalLM.LogProb(naive.AsSpan(row * vocab, vocab), continuations[i][j]);
                naiveSum += lp;
                greedy &= top;
            }
            Assert.Equal(expected, shared[i].LogLikelihood, 1e-3);
            Assert.Equal(naiveSum, shared[i].LogLikelihood, 1e-4);
            Assert.Equal(oneByOne[i].LogLikelihood, shared[i].LogLikelihood, 1e-4);
            Assert.Equal(greedy, shared[i].IsGreedy);
        }
    }

    [Fact]
    public void The_greedy_continuation_is_flagged_greedy()
    {
        int[] context = [12, 200, 5, 77];
        var greedy = tiny.Model.Generate([context], Greedy(3))[0].Tokens;
        var scores = tiny.Model.Score(context, [greedy, [greedy[0], (greedy[1] + 1) % tiny.Model.SampleLimit]]);
        Assert.True(scores[0].IsGreedy);
        Assert.False(scores[1].IsGreedy);
        Assert.True(scores[0].LogLikelihood > scores[1].LogLikelihood);
    }

    [Fact]
    public void The_iobinding_path_used_for_device_caches_gives_the_same_tokens_and_scores()
    {
        var plain = tiny.Model.Generate([s_prompt], Greedy(24))[0].Tokens;
        var plainScores = tiny.Model.Score([12, 200], [[1, 2, 3], [4, 5]]);
        tiny.Model.UseIoBindingOnHost = true;
        try
        {
            Assert.Equal(plain, tiny.Model.Generate([s_prompt], Greedy(24))[0].Tokens);
            var bound = tiny.Model.Score([12, 200], [[1, 2, 3], [4, 5]]);
            Assert.Equal(plainScores.Select(s => s.LogLikelihood), bound.Select(s => s.LogLikelihood));
        }
        finally
        {
            tiny.Model.UseIoBindingOnHost = false;
        }
    }

    private static double MaxDiff(ReadOnlySpan<float> a, double[] b)
    {
        var max = 0.0;
        for (var i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
