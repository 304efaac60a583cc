using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Storage.Entities;
using Evals.TestKit;

namespace Evals.Runner.Tests.Jobs;

/// <summary>
/// Issue 17: a worker takes only the runs it can serve. A CPU worker (<c>Runner__Capabilities=cpu</c>) runs a baseline
/// run but passes a <c>device=cuda</c> model's run back again and again, never starting it; a worker that has
/// <c>cuda</c> takes that run once it joins. (On a machine without a CUDA provider the run then fails there, naming the
/// device; on a GPU machine it succeeds. Either way it is the CUDA worker's run.)
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class CapabilityRoutingTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private readonly string _model = Directory.CreateTempSubdirectory("evals-routed-model-").FullName;

    [Fact]
    public async Task A_cpu_worker_never_starts_a_cuda_run_and_a_cuda_worker_takes_it()
    {
        TinyModelWriter.Write(_model, seed: 3);
        var env = RunnerEnvironment.For(database.ConnectionString, RunnerEnvironment.WriteGeneratedSuite("routed", 12));
        using var cpu = CliProcess.Start(new Dictionary<string, string>(env) { ["Runner__Capabilities"] = "cpu" }, "worker");
        var cpuNode = await ShardedRunTests.NodeAsync(cpu);

        var cudaRun = await SubmitAsync(env, $"onnx:{_model}?device=cuda");
        var cpuRun = await SubmitAsync(env, "baseline:random?seed=3");
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, cpuRun)).Status == RunStatus.Succeeded,
            Long, "the baseline run to succeed on the CPU worker", () => cpu.Output);
        Assert.Equal(cpuNode, (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, cpuRun)).WorkerId);

        // Passed back every 2 s: seen three times, and still never started.
        await Poll.UntilAsync(() => Task.FromResult(PassedBack(cpu.Output, cudaRun) >= 3), Long, "the CPU worker to pass the CUDA run back three times", () => cpu.Output);
        var waiting = await RunnerEnvironment.ReadRunAsync(database.ConnectionString, cudaRun);
        Assert.True(waiting is { Status: RunStatus.Queued, WorkerId: null, Attempts: 0, StartedAt: null },
            $"the CUDA run on a CPU-only cluster: {waiting.Status}, worker {waiting.WorkerId}, {waiting.Attempts} attempt(s)");

        using var gpu = CliProcess.Start(new Dictionary<string, string>(env) { ["Runner__Capabilities"] = "cpu,cuda" }, "worker");
        var gpuNode = await ShardedRunTests.NodeAsync(gpu);
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, cudaRun)).Status is RunStatus.Succeeded or RunStatus.Failed,
            Long, "the CUDA run to end on the CUDA worker", () => cpu.Output + gpu.Output);
        var ended = await RunnerEnvironment.ReadRunAsync(database.ConnectionString, cudaRun);
        Assert.Equal(gpuNode, ended.WorkerId);
        Assert.Equal(1, ended.Attempts);
        if (ended.Status == RunStatus.Failed) Assert.Contains("device=cuda", ended.Error);
    }

    private static int PassedBack(string log, Guid runId) =>
        log.Split('\n').Count(l => l.Contains($"Run {runId} ", StringComparison.Ordinal) && l.Contains("needs a worker with cuda; this one has cpu: left for another", StringComparison.Ordinal));

    private static async Task<Guid> SubmitAsync(Dictionary<string, string> env, string model)
    {
        var result = await CliProcess.RunAsync(env, Long, "run", "--model", model, "--suite", "routed", "--no-cache");
        Assert.True(result.ExitCode == 0, result.ToString());
        return Guid.Parse(result.StdOut.Trim());
    }

    public void Dispose() => Directory.Delete(_model, recursive: true);
}
