using Evals.TestKit;

namespace Evals.Runner.Tests.Jobs;

/// <summary>
/// <c>evals worker --probe</c>, the worker containers' health check: healthy only while the worker started on this host
/// keeps checking in with the cluster; a killed worker turns it unhealthy within a few check-in intervals.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class WorkerProbeTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_probe_follows_the_workers_own_check_in()
    {
        var nodeFile = Path.Combine(Path.GetTempPath(), $"evals-probe-{Guid.NewGuid():N}.node");
        var env = new Dictionary<string, string>(RunnerEnvironment.For(database.ConnectionString)) { ["Runner__NodeFile"] = nodeFile };
        try
        {
            var before = await CliProcess.RunAsync(env, Long, "worker", "--probe");
            Assert.Equal(1, before.ExitCode);
            Assert.Contains($"no worker has started on this host (no node file {nodeFile})", before.StdErr);

            using var worker = CliProcess.Start(env, "worker");
            await worker.WaitForOutputAsync("worker started: node ", Long);
            var node = File.ReadAllText(nodeFile).Trim();
            Assert.Contains($"worker started: node {node};", worker.Output);

            var healthy = await CliProcess.RunAsync(env, Long, "worker", "--probe");
            Assert.True(healthy.ExitCode == 0, healthy.ToString());
            Assert.StartsWith($"healthy: node {node} checked in ", healthy.StdOut);

            // SIGKILL: the node file stays, the check-ins stop (every 1 s here; unhealthy after 3 intervals + 2 s).
            worker.Kill();
            CliResult after = healthy;
            await Poll.UntilAsync(async () => (after = await CliProcess.RunAsync(env, Long, "worker", "--probe")).ExitCode == 1,
                Long, "the probe to report the killed worker", () => after.ToString());
            Assert.Matches($"unhealthy: node {node} (last checked in [0-9.]+ s ago|is not checked in with the cluster)", after.StdErr);
        }
        finally
        {
            File.Delete(nodeFile);
        }
    }
}
