using Evals.Runner.Tests.Remote;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Runner.Tests.Hardening;

/// <summary>
/// Issue 18, the secrets drill: runs against an openai: endpoint with a key, through every fault the fake server
/// makes (rate limits, 5xx, hangs, dropped connections, malformed JSON, refusals) and with the cache on and off; then
/// every row of every table, as text (bytea columns, such as Quartz's job data, also as hex), and everything the CLI printed are searched for the key. It appears nowhere.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class SecretsDrillTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const string KeyVariable = "EVALS_TEST_SECRET_KEY";
    private const string Key = "sk-drill-5e3c4e7a9b1d2f60";
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_model_key_appears_in_no_table_and_no_log()
    {
        _server.FaultFor = prompt => FakeOpenAiServer.Bucket(prompt) switch
        {
            < 8 => Fault.RateLimitedOnce,
            < 14 => Fault.ServerError,
            < 18 => Fault.Hang,
            < 26 => Fault.DropOnce,
            < 32 => Fault.MalformedJson,
            < 36 => Fault.Refusal,
            _ => Fault.None,
        };
        var env = RunnerEnvironment.For(database.ConnectionString);
        env[KeyVariable] = Key;
        var spec = $"openai:{_server.BaseUrl}?model=fake&key_env={KeyVariable}&timeout_s=2&retries=1&retry_delay_ms=20";
        var output = "";
        foreach (var extra in new[] { Array.Empty<string>(), ["--no-cache"] })
        {
            var run = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), ["run", "--model", spec, "--suite", "smoke", "--mode", "generate", "--wait", .. extra]);
            Assert.True(run.ExitCode is 0 or 1, run.ToString());
            output += run.StdOut + run.StdErr;
        }
        var registered = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "models", "add", "--name", "drill-model", "--spec", spec);
        Assert.True(registered.ExitCode == 0, registered.ToString());
        output += registered.StdOut + registered.StdErr;

        Assert.DoesNotContain(Key, output);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        Assert.Contains(tables, t => t.EndsWith(".results", StringComparison.Ordinal));
        foreach (var table in tables)
        {
            await using var search = new NpgsqlCommand($"SELECT count(*) FROM {table} t WHERE strpos(t::text, $1) > 0 OR strpos(t::text, encode(convert_to($1, 'UTF8'), 'hex')) > 0", connection) { Parameters = { new() { Value = Key } } };
            Assert.True((long)(await search.ExecuteScalarAsync())! == 0, $"the key is stored in {table}");
        }
        // The search above looked at real rows: this class's database holds the two runs, each with a result (an answer, a
        // refusal or an error) per smoke item.
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var runIds = await db.Runs.Select(r => r.Id).ToListAsync();
        Assert.Equal(2, runIds.Count);
        Assert.Equal(2 * 72, await db.Results.CountAsync(r => runIds.Contains(r.RunId)));
    }
}
