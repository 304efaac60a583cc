using System.Net;
using System.Net.Sockets;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Cli;

/// <summary>Bad input gets one clear line and exit code 2, an unreachable database exit code 1, and nothing is written.</summary>
[Collection(ProcessTests.Name)]
public sealed class BadInputTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("baseline:majority", "smok", "unknown suite 'smok'; did you mean smoke?")]
    [InlineData("baseline:nonsense", "smoke", "unknown baseline 'nonsense'")]
    [InlineData("baseline:first?temperature=1", "smoke", "unknown option(s) temperature")]
    [InlineData("baseline:random?seed=abc", "smoke", "option seed='abc' is not an integer")]
    [InlineData("warp:drive", "smoke", "unknown scheme 'warp'")]
    [InlineData("no-such-model", "smoke", "unknown model 'no-such-model'")]
    public async Task Bad_input_exits_2_with_a_message_naming_it_and_enqueues_nothing(string model, string suite, string message)
    {
        var result = await CliProcess.RunAsync(RunnerEnvironment.For(database.ConnectionString), TimeSpan.FromMinutes(2),
            "run", "--model", model, "--suite", suite);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.StdErr);
        Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.Equal(0, await db.Runs.CountAsync());
        Assert.Equal(0, await db.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM qrtz_job_details WHERE job_group = 'runs'").SingleAsync());
    }

    [Fact]
    public async Task Unknown_verbs_and_missing_options_are_bad_usage()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var missing = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "run", "--suite", "smoke");
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("--model", missing.StdErr);
        var verb = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "frobnicate");
        Assert.Equal(2, verb.ExitCode);
        var id = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "runs", "show", "not-a-guid");
        Assert.Equal(2, id.ExitCode);
    }

    [Fact]
    public async Task An_unreachable_database_exits_1_naming_where_it_looked()
    {
        // A socket bound but never listening holds the port for the whole test, so nothing else can take it in between,
        // and a connection to it is refused (Linux answers a SYN to a port with no listener with a reset).
        using var held = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        held.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)held.LocalEndPoint!).Port;
        var env = RunnerEnvironment.For($"Host=127.0.0.1;Port={port};Username=evals;Database=evals;Timeout=3");
        var result = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "run", "--model", "baseline:first", "--suite", "smoke");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"cannot reach the database at 127.0.0.1:{port}", result.StdErr);
    }
}
