using Evals.Runner.Backends;

namespace Evals.Runner.Tests.Backends;

/// <summary>A worker's CUDA devices as a budget of runs: one run's model per device by default, its shards sharing it.</summary>
public sealed class DeviceBudgetTests
{
    private static readonly Guid RunA = Guid.NewGuid();
    private static readonly Guid RunB = Guid.NewGuid();

    [Fact]
    public void Only_cuda_models_take_a_device_named_by_its_id()
    {
        Assert.Equal(["cuda:0", "cuda:1"], DeviceBudget.DevicesOf(["onnx:/models/a?device=cuda", null, "onnx:/models/judge?device=cuda&device_id=1"]));
        Assert.Empty(DeviceBudget.DevicesOf(["onnx:/models/a", "onnx:/models/a?device=cpu", "onnx:/models/a?device=auto", "baseline:random", "openai:m?base_url=http://127.0.0.1:1/v1"]));
    }

    [Fact]
    public void A_second_run_waits_for_the_device_while_the_first_runs_shards_share_it()
    {
        var budget = new DeviceBudget(new RunnerOptions());
        var cuda0 = new HashSet<string> { "cuda:0" };
        using var firstShard = budget.TryClaim(RunA, cuda0);
        using var secondShard = budget.TryClaim(RunA, cuda0);
        Assert.NotNull(firstShard);
        Assert.NotNull(secondShard);
        Assert.Null(budget.TryClaim(RunB, cuda0));
        // All or none: B's claim of cuda:1 and cuda:0 together takes neither.
        Assert.Null(budget.TryClaim(RunB, new HashSet<string> { "cuda:0", "cuda:1" }));
        Assert.Empty(budget.HoldersOf("cuda:1"));
        using (var other = budget.TryClaim(RunB, new HashSet<string> { "cuda:1" })) Assert.NotNull(other);
        // No device at all (a CPU or remote model) is never refused.
        using (var none = budget.TryClaim(RunB, new HashSet<string>())) Assert.NotNull(none);

        firstShard!.Dispose();
        firstShard.Dispose();
        Assert.Null(budget.TryClaim(RunB, cuda0));
        secondShard!.Dispose();
        using var afterA = budget.TryClaim(RunB, cuda0);
        Assert.NotNull(afterA);
        Assert.Equal([RunB], budget.HoldersOf("cuda:0"));
    }

    [Fact]
    public void Models_per_device_lets_that_many_runs_share_one()
    {
        var budget = new DeviceBudget(new RunnerOptions { ModelsPerDevice = 2 });
        var cuda0 = new HashSet<string> { "cuda:0" };
        using var a = budget.TryClaim(RunA, cuda0);
        using var b = budget.TryClaim(RunB, cuda0);
        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Null(budget.TryClaim(Guid.NewGuid(), cuda0));
    }
}
