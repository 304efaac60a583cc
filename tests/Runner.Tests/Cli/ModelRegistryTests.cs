using Evals.TestKit;

namespace Evals.Runner.Tests.Cli;

[Collection(ProcessTests.Name)]
public sealed class ModelRegistryTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_registered_model_can_be_named_instead_of_a_spec()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var add = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "models", "add", "--name", "chance", "--spec", "baseline:random?seed=3", "--family", "baselines", "--checkpoint", "v1");
        Assert.True(add.ExitCode == 0, add.ToString());
        var again = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "models", "add", "--name", "chance", "--spec", "baseline:first");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already registered", again.StdErr);
        var list = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "models", "list");
        Assert.Contains("baseline:random?seed=3", list.StdOut);

        var run = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "run", "--model", "chance", "--suite", "smoke", "--limit", "2");
        Assert.True(run.ExitCode == 0, run.ToString());
        var stored = await RunnerEnvironment.ReadRunAsync(database.ConnectionString, Guid.Parse(run.StdOut.Trim()));
        Assert.Equal("chance", stored.ModelName);
        Assert.Equal("baseline:random?seed=3", stored.ModelSpec);
        Assert.NotNull(stored.ModelId);
        Assert.Equal(6, stored.TotalItems);
    }
}
