using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Cli;

/// <summary><c>evals keys</c> through the real CLI: the rules it shares with /admin/keys, exit codes, only hashes stored.</summary>
[Collection(ProcessTests.Name)]
public sealed class KeyCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Keys_are_created_once_listed_without_the_key_and_revoked_with_bad_input_named()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var created = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "keys", "create", "--name", "cli-key", "--scope", "feedback", "--rpm", "30");
        Assert.True(created.ExitCode == 0, created.ToString());
        var key = created.StdOut.TrimEnd().Split('\n')[^1].Trim();
        Assert.StartsWith(ApiKey.KeyPrefix, key);
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var stored = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == "cli-key");
            Assert.Equal((ApiKey.HashOf(key), "feedback", 30, key[..10]), (stored.Hash, stored.Scope, stored.RequestsPerMinute, stored.Prefix));
        }

        foreach (var (args, message) in new (string[], string)[]
        {
            (["keys", "create", "--name", "cli-key", "--scope", "v1"], "--name 'cli-key': a key with that name exists"),
            (["keys", "create", "--name", "other", "--scope", "root"], "--scope 'root' must be one of v1, feedback, admin"),
            (["keys", "create", "--name", "other", "--scope", "v1", "--rpm", "0"], "--rpm must be at least 1 (got 0)"),
            (["keys", "create", "--name", "  ", "--scope", "v1"], "--name must not be empty"),
            (["keys", "revoke", "nobody"], "no active key named 'nobody'"),
        })
        {
            var bad = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), args);
            Assert.True(bad.ExitCode == 2, bad.ToString());
            Assert.Contains(message, bad.StdErr);
        }

        var list = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "keys", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("cli-key", list.StdOut);
        Assert.DoesNotContain(key, list.StdOut);

        var revoked = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "keys", "revoke", "cli-key");
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            Assert.NotNull((await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == "cli-key")).RevokedAt);
        var twice = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "keys", "revoke", "cli-key");
        Assert.Equal(2, twice.ExitCode);
    }
}
