using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.TestKit;
using Xunit.Abstractions;

namespace Evals.Runner.Tests.Onnx;

/// <summary>Batching across items: every batched result against the same request run alone (the batch-1 paths of <see cref="CausalLM"/>).</summary>
public sealed class BatchingTests(TinyModelFixture tiny, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private static readonly TaskContext Context = new("batching", null);

    private static readonly BatchBudget Roomy = new(BatchBudget.DefaultMaxBatchTokens, 32, 1L << 32);

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public async Task Batched_scores_of_the_smoke_suite_equal_batch_1_scores(int shots)
    {
        var requests = new List<ChoiceRequest>();
        foreach (var name in new[] { "commonsense", "idioms", "sentiment" })
        {
            var task = TaskLoader.Load("smoke", Path.Combine(RepoPaths.Datasets, "smoke", name)).Task;
            foreach (var item in task.EvalItems)
            {
                var prepared = task.Prepare(item, shots < 0 ? task.Manifest.Shots : shots);
                // The tiny model has 512 positions; longer few-shot items fail alone as well as batched.
                var (context, continuations) = tiny.Backend.EncodeChoices(prepared.Prompt, prepared.Continuations);
                if (context.Length + continuations.Max(c => c.Length) <= tiny.Config.MaxPositions)
                    requests.Add(new ChoiceRequest(Context, item.Id, prepared.Prompt, prepared.Continuations, prepared.Messages));
            }
        }
        var batched = await tiny.Backend.ScoreChoicesBatchAsync(requests);
        var single = requests.Select(r => tiny.Backend.ScoreDetailedAsync(r.Context, r.Continuations).GetAwaiter().GetResult()).ToList();
        var maxDiff = MaxDiff(single.Select(s => s.Select(x => x.LogLikelihood).ToArray()).ToList(), batched.Select(b => b.LogLikelihoods.ToArray()).ToList());
        output.WriteLine($"{requests.Count} smoke items, shots {shots}: max |batched − batch 1| = {maxDiff:E2}");
        Assert.True(maxDiff <= 1e-4, $"max diff {maxDiff}");
        Assert.True(tiny.Backend.BatchFigures!.Value.Scoring.LargestBatch > 1, "the items were never batched together");
    }

    [Fact]
    public void Batched_scores_of_a_ceval_shaped_suite_with_5_shot_contexts_equal_batch_1_scores_with_fewer_passes()
    {
        var model = tiny.Model;
        var requests = CevalShaped(model, items: 40);
        var before = model.ForwardPasses;
        var single = requests.Select(r => model.Score(r.Context, r.Continuations).ToArray()).ToList();
        var singlePasses = model.ForwardPasses - before;
        var stats = new BatchStats();
        before = model.ForwardPasses;
        var batched = BatchedScoring.Score(model, requests, Roomy, stats);
        var batchedPasses = model.ForwardPasses - before;
        var maxDiff = MaxDiff(single.Select(s => s.Select(x => x.LogLikelihood).ToArray()).ToList(), batched.Select(b => b.Select(x => x.LogLikelihood).ToArray()).ToList());
        output.WriteLine($"C-Eval-shaped, 40 items × 4 choices, contexts {requests.Min(r => r.Context.Length)}–{requests.Max(r => r.Context.Length)} tokens: " +
            $"max diff {maxDiff:E2}; forward passes {singlePasses} at batch 1, {batchedPasses} batched (largest batch {stats.LargestBatch})");
        Assert.True(maxDiff <= 1e-4, $"max diff {maxDiff}");
        for (var i = 0; i < requests.Count; i++)
            Assert.Equal(single[i].Select(s => s.IsGreedy), batched[i].Select(s => s.IsGreedy));
        Assert.True(batchedPasses * 4 < singlePasses, $"{batchedPasses} batched passes against {singlePasses}");
    }

    [Fact]
    public void The_memory_cap_bounds_the_batch_and_an_allocation_failure_halves_it_with_the_same_scores()
    {
        var model = tiny.Model;
        var requests = CevalShaped(model, items: 24);
        var reference = BatchedScoring.Score(model, requests, Roomy with { MaxRows = 1 }, new BatchStats());

        // Room for the KV of 3 rows of the longest context, and their logits.
        var longest = requests.Max(r => r.Context.Length);
        var perRow = longest * BatchBudget.KvBytesPerToken(model.Layout) + (long)longest * model.Layout.LogitsVocab * 4;
        var capped = new BatchStats();
        var cappedScores = BatchedScoring.Score(model, requests, Roomy with { MemoryBytes = 3 * perRow + perRow / 2 }, capped);
        output.WriteLine($"cap {3 * perRow + perRow / 2} B, per row {perRow} B: largest batch {capped.LargestBatch} over {capped.Batches} batches");
        // Context batches take at most 3 rows; continuation batches feed fewer positions, so more of them fit, but never past the bytes.
        var cap = 3 * perRow + perRow / 2;
        Assert.InRange(capped.LargestBatch, 2, cap / (requests.Min(r => r.Context.Length) * BatchBudget.KvBytesPerToken(model.Layout)));
        Assert.True(capped.Batches > new Func<long>(() => { var s = new BatchStats(); BatchedScoring.Score(model, requests, Roomy, s); return s.Batches; })());

        var halved = new BatchStats();
        model.ForcedAllocationFailure = (batch, _, _) => batch > 5;
        ContinuationScore[][] halvedScores;
        try
        {
            halvedScores = BatchedScoring.Score(model, requests, Roomy, halved);
        }
        finally
        {
            model.ForcedAllocationFailure = null;
        }
        output.WriteLine($"capped: largest batch {capped.LargestBatch}; forced failures above 5 rows: {halved.Halvings} halvings, largest batch {halved.LargestBatch}");
        Assert.True(halved.Halvings > 0);
        Assert.InRange(halved.LargestBatch, 2, 5);
        Assert.True(MaxDiff(Lls(reference), Lls(cappedScores)) <= 1e-4);
        Assert.True(MaxDiff(Lls(reference), Lls(halvedScores)) <= 1e-4);
    }

    [Fact]
    public void Fifty_prompts_of_very_different_lengths_through_8_slots_equal_their_batch_1_outputs_in_far_fewer_passes()
    {
        var model = tiny.Model;
        var vocab = tiny.Config.VocabSize;
        var random = new Random(16);
        var eos = new HashSet<int> { 3 };
        var jobs = new List<GenerationJob>();
        for (var i = 0; i < 50; i++)
        {
            var length = i % 5 == 0 ? random.Next(150, 300) : random.Next(1, 40);
            var prompt = Enumerable.Range(0, length).Select(_ => random.Next(4, vocab)).ToArray();
            // Greedy and seeded sampling, different limits, EOS for every third, a stop string for some.
            var sampling = i % 4 == 1 ? new SamplingOptions(Temperature: 0.9, TopP: 0.95, Seed: 1000 + i) : new SamplingOptions();
            string[] stops = i % 7 == 3 ? ["a", "的"] : [];
            var settings = new GenerationSettings(random.Next(1, 48), sampling, stops, i % 3 == 0 ? eos : new HashSet<int>());
            jobs.Add(new GenerationJob(prompt, settings));
        }

        var before = model.ForwardPasses;
        var single = new List<(GeneratedText Result, string Streamed)>();
        foreach (var job in jobs)
        {
            var streamed = new System.Text.StringBuilder();
            single.Add((model.Generate([job.Prompt], job.Settings, (_, text) => streamed.Append(text))[0], streamed.ToString()));
        }
        var singlePasses = model.ForwardPasses - before;

        var streams = jobs.Select(_ => new System.Text.StringBuilder()).ToArray();
        var batchedJobs = jobs.Select((j, i) => j with { OnText = text => streams[i].Append(text) }).ToList();
        var stats = new BatchStats();
        before = model.ForwardPasses;
        var batched = BatchedGeneration.Generate(model, batchedJobs, Roomy with { MaxRows = 8 }, stats);
        var batchedPasses = model.ForwardPasses - before;

        output.WriteLine($"50 prompts of {jobs.Min(j => j.Prompt.Length)}–{jobs.Max(j => j.Prompt.Length)} tokens, {single.Sum(s => s.Result.Tokens.Length)} tokens generated: " +
            $"{singlePasses} forward passes at batch 1, {batchedPasses} through 8 slots (mean batch {stats.MeanBatch:0.0}); " +
            $"{stats.Rebuilds} cache rebuilds took {stats.RebuildTime.TotalMilliseconds:0.0} ms of {stats.EngineTime.TotalMilliseconds:0} ms; " +
            $"finish reasons {string.Join(", ", single.GroupBy(s => s.Result.FinishReason).Select(g => $"{g.Key} {g.Count()}"))}");
        for (var i = 0; i < jobs.Count; i++)
        {
            var result = batched[i]!;
            Assert.True(single[i].Result.Tokens.SequenceEqual(result.Tokens), $"prompt {i}: tokens differ");
            Assert.Equal(single[i].Result.Text, result.Text);
            Assert.Equal(single[i].Result.FinishReason, result.FinishReason);
            Assert.Equal(single[i].Streamed, streams[i].ToString());
        }
        Assert.Contains(single, s => s.Result.FinishReason == "eos");
        Assert.True(stats.LargestBatch == 8);
        Assert.True(batchedPasses * 3 < singlePasses, $"{batchedPasses} batched passes against {singlePasses}");
    }

    [Fact]
    public void An_allocation_failure_in_the_middle_of_decoding_halves_the_batch_and_every_output_equals_batch_1()
    {
        var model = tiny.Model;
        var random = new Random(4);
        var jobs = Enumerable.Range(0, 12).Select(i => new GenerationJob(
            Enumerable.Range(0, random.Next(3, 60)).Select(_ => random.Next(4, tiny.Config.VocabSize)).ToArray(),
            new GenerationSettings(20 + i, i % 3 == 1 ? new SamplingOptions(Temperature: 0.9, TopP: 0.95, Seed: 70 + i) : new SamplingOptions(), [], new HashSet<int>()))).ToList();
        var single = new List<(GeneratedText Result, string Streamed)>();
        foreach (var job in jobs)
        {
            var streamed = new System.Text.StringBuilder();
            single.Add((model.Generate([job.Prompt], job.Settings, (_, text) => streamed.Append(text))[0], streamed.ToString()));
        }

        // Decode steps of more than 4 rows succeed 5 times, then fail as ONNX Runtime does when it cannot allocate.
        var wideSteps = 0;
        var failures = 0;
        model.ForcedAllocationFailure = (batch, fed, _) => fed == 1 && batch > 4 && ++wideSteps > 5 && ++failures > 0;
        var streams = jobs.Select(_ => new System.Text.StringBuilder()).ToArray();
        var stats = new BatchStats();
        IReadOnlyList<GeneratedText?> batched;
        try
        {
            batched = BatchedGeneration.Generate(model, jobs.Select((j, i) => j with { OnText = text => streams[i].Append(text) }).ToList(), Roomy with { MaxRows = 8 }, stats);
        }
        finally
        {
            model.ForcedAllocationFailure = null;
        }
        output.WriteLine($"{failures} forced failures mid-decode, {stats.Halvings} halvings; largest batch {stats.LargestBatch}, {stats.Prefills} prefills, {stats.Rebuilds} rebuilds");
        Assert.Equal(1, failures);
        Assert.Equal(1, stats.Halvings);
        for (var i = 0; i < jobs.Count; i++)
        {
            Assert.True(single[i].Result.Tokens.SequenceEqual(batched[i]!.Tokens), $"prompt {i}: tokens differ");
            Assert.Equal(single[i].Result.Text, batched[i]!.Text);
            Assert.Equal(single[i].Streamed, streams[i].ToString());
        }
    }

    [Fact]
    public async Task A_seeded_sampled_answer_is_the_same_alone_and_among_concurrent_requests()
    {
        var backend = tiny.Backend;
        GenerateRequest Request(int i, int? seed) =>
            new(Context, $"g{i}", $"问题{i}：" + new string('好', i * 7 % 40), [], new DecodingOptions(Temperature: 0.8, MaxTokens: 12 + i % 9, Seed: seed));
        var requests = Enumerable.Range(0, 12).Select(i => Request(i, 40 + i)).ToList();
        var alone = new List<Generation>();
        foreach (var r in requests) alone.Add(await backend.GenerateAsync(r));
        var together = await backend.GenerateBatchAsync(requests);
        Assert.Equal(alone.Select(a => a.Text), together.Select(t => t.Text));
        Assert.True(backend.BatchFigures!.Value.Generation.LargestBatch > 1);
        Assert.Contains("tokens/s", backend.Description);
        Assert.Contains("mean batch", backend.Description);
        output.WriteLine(backend.Description);
    }

    [Fact]
    public async Task An_item_past_the_models_positions_fails_alone_and_the_items_batched_with_it_are_answered()
    {
        var backend = tiny.Backend;
        var tooLong = new string('问', tiny.Config.MaxPositions);
        var generations = Enumerable.Range(0, 6)
            .Select(i => new GenerateRequest(Context, $"g{i}", i == 2 ? tooLong : $"问题{i}：你好吗？", [], new DecodingOptions(MaxTokens: 6 + i)))
            .ToList();
        var choices = Enumerable.Range(0, 6)
            .Select(i => new ChoiceRequest(Context, $"c{i}", i == 4 ? tooLong : $"问题{i}：下列哪一项是正确的？答案是：", ["A", "B", "正确"]))
            .ToList();
        var generated = generations.Select(r => backend.GenerateAsync(r)).ToList();
        var scored = choices.Select(r => backend.ScoreChoicesAsync(r)).ToList();
        for (var i = 0; i < 6; i++)
        {
            if (i == 2)
            {
                await Assert.ThrowsAnyAsync<Exception>(() => generated[i]);
                continue;
            }
            var alone = tiny.Model.Generate([backend.Folder.Tokenizer.Encode(backend.RenderPrompt(generations[i].Prompt))],
                new GenerationSettings(6 + i, new SamplingOptions(), [], backend.Folder.EosIds))[0];
            Assert.Equal(alone.Text, (await generated[i]).Text);
        }
        for (var i = 0; i < 6; i++)
        {
            if (i == 4)
            {
                await Assert.ThrowsAnyAsync<Exception>(() => scored[i]);
                continue;
            }
            var alone = await backend.ScoreDetailedAsync(choices[i].Context, choices[i].Continuations);
            Assert.True(MaxDiff([alone.Select(a => a.LogLikelihood).ToArray()], [(await scored[i]).LogLikelihoods.ToArray()]) <= 1e-4);
        }
    }

    /// <summary>C-Eval's shape: one instruction and five worked examples per subject, then the question and four options; answers " A"…" D", plus option texts to score several-token continuations.</summary>
    private static List<ScoreRequest> CevalShaped(CausalLM model, int items)
    {
        var tokenizer = model.Tokenizer;
        var random = new Random(5);
        var requests = new List<ScoreRequest>();
        var characters = TinyTokenizerBuilder.Corpus.Where(c => c >= '\u4e00' && c <= '\u9fff').Distinct().ToArray();
        string Question(int n) => new(Enumerable.Range(0, n).Select(_ => characters[random.Next(characters.Length)]).ToArray());
        var instruction = "以下是中国关于高等数学考试的单项选择题，请选出其中的正确答案。\n\n";
        var examples = string.Concat(Enumerable.Range(0, 5).Select(k => $"{Question(10)}\nA. {Question(2)}\nB. {Question(2)}\nC. {Question(2)}\nD. {Question(2)}\n答案：{"ABCD"[k % 4]}\n\n"));
        for (var i = 0; i < items; i++)
        {
            var options = Enumerable.Range(0, 4).Select(_ => Question(random.Next(1, 4))).ToArray();
            var context = instruction + examples + $"{Question(random.Next(3, 20))}\nA. {options[0]}\nB. {options[1]}\nC. {options[2]}\nD. {options[3]}\n答案：";
            int[][] continuations = i % 2 == 0
                ? new[] { "A", "B", "C", "D" }.Select(a => tokenizer.Encode(a)).ToArray()
                : options.Select(o => tokenizer.Encode(o)).ToArray();
            requests.Add(new ScoreRequest(tokenizer.Encode(context), continuations));
        }
        return requests;
    }

    private static List<double[]> Lls(ContinuationScore[][] scores) => scores.Select(s => s.Select(x => x.LogLikelihood).ToArray()).ToList();

    private static double MaxDiff(List<double[]> a, List<double[]> b)
    {
        Assert.Equal(a.Count, b.Count);
        var max = 0.0;
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (var k = 0; k < a[i].Length; k++) max = Math.Max(max, Math.Abs(a[i][k] - b[i][k]));
        }
        return max;
    }
}
