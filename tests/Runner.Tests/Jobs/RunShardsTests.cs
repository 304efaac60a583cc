using Evals.Runner.Jobs;

namespace Evals.Runner.Tests.Jobs;

/// <summary>The shard rule and which worker may take a shard (the process-level behaviour is <see cref="ShardedRunTests"/>).</summary>
public sealed class RunShardsTests
{
    [Fact]
    public void A_run_no_larger_than_the_shard_size_is_one_shard_and_a_larger_one_is_cut_into_contiguous_ranges()
    {
        Assert.Empty(RunShards.Layout(0, 500));
        Assert.Equal([new RunShard(0, 0, 72, false)], RunShards.Layout(72, 500));
        Assert.Equal([new RunShard(0, 0, 500, false)], RunShards.Layout(500, 500));
        var shards = RunShards.Layout(2000, 40);
        Assert.Equal(50, shards.Count);
        Assert.All(shards, s => Assert.Equal(s.Number * 40, s.First));
        Assert.Equal(2000, shards.Sum(s => s.Count));
        // CMMLU's 11,528 items: 24 shards of 500, the last one shorter.
        var cmmlu = RunShards.Layout(11_528, 500);
        Assert.Equal(24, cmmlu.Count);
        Assert.Equal(28, cmmlu[^1].Count);
    }

    [Fact]
    public void A_run_never_has_more_than_the_maximum_of_shards()
    {
        var shards = RunShards.Layout(1_000_000, 1);
        Assert.True(shards.Count <= RunShards.MaxShards, $"{shards.Count} shards");
        Assert.Equal(1_000_000, shards.Sum(s => s.Count));
        Assert.Equal(Enumerable.Range(0, shards.Count), shards.Select(s => s.Number));
    }

    [Fact]
    public void A_cuda_model_needs_a_cuda_worker_and_a_worker_without_capabilities_takes_everything()
    {
        var cuda = RunShards.Needs(["onnx:/models/qwen?device=cuda", null]);
        Assert.Equal(["cuda"], cuda);
        Assert.Empty(RunShards.Needs(["onnx:/models/qwen?device=auto", "baseline:random", "openai:http://127.0.0.1:8000/v1?model=x"]));
        // The judge counts like the model.
        Assert.Equal(["cuda"], RunShards.Needs(["baseline:random", "onnx:/models/judge?device=cuda"]));

        Assert.True(new RunnerOptions().CanServe(cuda));
        Assert.False(new RunnerOptions { Capabilities = "cpu" }.CanServe(cuda));
        Assert.True(new RunnerOptions { Capabilities = "cpu, CUDA" }.CanServe(cuda));
        Assert.True(new RunnerOptions { Capabilities = "cpu" }.CanServe(RunShards.Needs(["baseline:first"])));
    }
}
