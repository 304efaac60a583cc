using System.Diagnostics;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;

namespace Evals.OnnxThroughput;

/// <summary>
/// Batching across items against batch 1 on one model file (<c>--batching</c>): (a) items/s of a C-Eval-shaped
/// log-likelihood suite (a shared instruction and five examples, then a question; four one-token answers), (b) generated
/// tokens/s for 64 prompts × 128 new greedy tokens. Medians of the repeats, interleaved, and each batched result checked
/// against its batch-1 result.
/// </summary>
internal static class BatchingBenchmark
{
    public static void Run(Options o, CausalLM model)
    {
        var random = new Random(2026);
        var vocab = model.SampleLimit;
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(4, vocab)).ToArray();
        // (a) 48 items: ~500 shared tokens (instruction + 5 shots), then a 40–160-token question.
        var shared = Tokens(500);
        var items = Enumerable.Range(0, 48).Select(_ => new ScoreRequest([.. shared, .. Tokens(random.Next(40, 160))], [[11], [12], [13], [14]])).ToList();
        // (b) 64 prompts of 16–256 tokens, 128 new tokens each (no EOS, so every sequence runs its full length).
        var prompts = Enumerable.Range(0, 64).Select(_ => Tokens(random.Next(16, 256))).ToList();
        var settings = new GenerationSettings(o.Decode, new SamplingOptions(), [], new HashSet<int>());
        var budget = new BatchBudget(BatchBudget.DefaultMaxBatchTokens, BatchBudget.DefaultMaxRows, 4L << 30);
        Console.WriteLine($"batching: (a) {items.Count} C-Eval-shaped items, contexts {items.Min(i => i.Context.Length)}–{items.Max(i => i.Context.Length)} tokens ({shared.Length} shared), 4 one-token answers; " +
            $"(b) {prompts.Count} prompts of {prompts.Min(p => p.Length)}–{prompts.Max(p => p.Length)} tokens × {o.Decode} new greedy tokens; budget {budget.Describe(model.Layout)}");

        var scoreSingle = new List<double>();
        var scoreBatched = new List<double>();
        var genSingle = new List<double>();
        var genBatched = new List<double>();
        var maxDiff = 0.0;
        var sameTokens = true;
        long passesSingle = 0, passesBatched = 0;
        var stats = new BatchStats();
        for (var r = 0; r < o.Repeats; r++)
        {
            var watch = Stopwatch.StartNew();
            var single = items.Select(i => model.Score(i.Context, i.Continuations)).ToList();
            scoreSingle.Add(items.Count / watch.Elapsed.TotalSeconds);
            watch.Restart();
            var batched = BatchedScoring.Score(model, items, budget, new BatchStats());
            scoreBatched.Add(items.Count / watch.Elapsed.TotalSeconds);
            for (var i = 0; i < items.Count; i++)
                for (var k = 0; k < 4; k++) maxDiff = Math.Max(maxDiff, Math.Abs(single[i][k].LogLikelihood - batched[i][k].LogLikelihood));

            var before = model.ForwardPasses;
            watch.Restart();
            var alone = prompts.Select(p => model.Generate([p], settings)[0]).ToList();
            genSingle.Add(alone.Sum(g => g.Tokens.Length) / watch.Elapsed.TotalSeconds);
            passesSingle = model.ForwardPasses - before;
            before = model.ForwardPasses;
            stats = new BatchStats();
            watch.Restart();
            var together = BatchedGeneration.Generate(model, prompts.Select(p => new GenerationJob(p, settings)).ToList(), budget, stats);
            genBatched.Add(together.Sum(g => g!.Tokens.Length) / watch.Elapsed.TotalSeconds);
            passesBatched = model.ForwardPasses - before;
            for (var i = 0; i < prompts.Count; i++) sameTokens &= alone[i].Tokens.SequenceEqual(together[i]!.Tokens);
            Console.WriteLine($"  repeat {r + 1}: (a) {scoreSingle[^1]:F1} → {scoreBatched[^1]:F1} items/s; (b) {genSingle[^1]:F0} → {genBatched[^1]:F0} tokens/s");
        }
        Console.WriteLine($"(a) LL items/s, median: batch 1 {Median(scoreSingle):F1}, batched {Median(scoreBatched):F1}, ratio {Median(scoreBatched) / Median(scoreSingle):F2}× (max |Δ log-lik| {maxDiff:E1})");
        Console.WriteLine($"(b) generated tokens/s, median: batch 1 {Median(genSingle):F0}, batched {Median(genBatched):F0}, ratio {Median(genBatched) / Median(genSingle):F2}× " +
            $"(forward passes {passesSingle} → {passesBatched}, mean batch {stats.MeanBatch:F1}, {stats.Rebuilds} cache rebuilds {stats.RebuildTime.TotalMilliseconds:F0} ms of {stats.EngineTime.TotalMilliseconds:F0} ms; tokens identical: {(sameTokens ? "yes" : "NO")})");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
