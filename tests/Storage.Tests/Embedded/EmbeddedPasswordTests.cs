using Evals.Storage.Embedded;
using Npgsql;

namespace Evals.Storage.Tests.Embedded;

/// <summary>Issue 18, finding 5: the embedded cluster lets in only who holds its password.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EmbeddedPasswordTests
{
    [Fact]
    public async Task A_new_cluster_refuses_connections_without_its_owner_only_password_and_a_second_process_finds_it()
    {
        var folder = Directory.CreateTempSubdirectory("evals-embedded-").FullName;
        var messages = new List<string>();
        var options = new DatabaseOptions { DataDirectory = folder, EmbeddedPort = 0 };
        try
        {
            var connectionString = await DatabaseLocator.ResolveAsync(options, messages.Add);
            var passwordFile = Path.Combine(folder, "pg.pass");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
            var password = File.ReadAllText(passwordFile);
            Assert.Equal(64, password.Length);
            Assert.Equal(password, new NpgsqlConnectionStringBuilder(connectionString).Password);
            Assert.Equal("evals", await ScalarAsync(connectionString, "SELECT current_database()"));

            await AssertRefusedAsync(connectionString, password: null);
            var wrong = await AssertRefusedAsync(connectionString, password: "not-" + password);
            Assert.Equal(PostgresErrorCodes.InvalidPassword, Assert.IsType<PostgresException>(wrong).SqlState);

            // What the CLI started beside the site does: the same locator finds the running cluster and its password.
            var again = await DatabaseLocator.ResolveAsync(options, messages.Add);
            Assert.Equal(connectionString, again);
            Assert.Equal("evals", await ScalarAsync(again, "SELECT current_user"));

            Assert.DoesNotContain(messages, m => m.Contains(password, StringComparison.Ordinal));
            Assert.DoesNotContain(password, File.ReadAllText(Path.Combine(folder, "pg", "server.log")), StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(folder, "pg.pass.initdb")));
        }
        finally
        {
            await StopAndDeleteAsync(folder);
        }
    }

    [Fact]
    public async Task A_trust_cluster_made_by_an_older_version_keeps_its_data_and_then_requires_the_password()
    {
        var folder = Directory.CreateTempSubdirectory("evals-embedded-").FullName;
        try
        {
            var old = LocalPostgres.Create(new LocalPostgresOptions(folder, PreferredPort: 0, Durable: false, RequirePassword: false));
            var oldConnectionString = await old.EnsureRunningAsync();
            await ScalarAsync(oldConnectionString, "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('kept')");
            Assert.Null(new NpgsqlConnectionStringBuilder(oldConnectionString).Password);
            Assert.False(File.Exists(Path.Combine(folder, "pg.pass")));

            var messages = new List<string>();
            var connectionString = await DatabaseLocator.ResolveAsync(new DatabaseOptions { DataDirectory = folder, EmbeddedPort = 0 }, messages.Add);

            Assert.Contains(messages, m => m.Contains("now requires the password", StringComparison.Ordinal));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "pg.pass")));
            Assert.Equal("kept", await ScalarAsync(connectionString, "SELECT v FROM marker"));
            await AssertRefusedAsync(oldConnectionString, password: null);
            Assert.DoesNotContain(File.ReadLines(Path.Combine(folder, "pg", "pg_hba.conf")),
                line => !line.TrimStart().StartsWith('#') && line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Contains("trust"));

            // After a restart the rewritten pg_hba.conf still holds, and no second migration happens.
            NpgsqlConnection.ClearAllPools();
            await old.StopAsync();
            messages.Clear();
            var restarted = await DatabaseLocator.ResolveAsync(new DatabaseOptions { DataDirectory = folder, EmbeddedPort = 0 }, messages.Add);
            Assert.DoesNotContain(messages, m => m.Contains("now requires the password", StringComparison.Ordinal));
            Assert.Equal("kept", await ScalarAsync(restarted, "SELECT v FROM marker"));
            await AssertRefusedAsync(restarted, password: null);
        }
        finally
        {
            await StopAndDeleteAsync(folder);
        }
    }

    private static async Task<NpgsqlException> AssertRefusedAsync(string connectionString, string? password)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = password, Pooling = false };
        return await Assert.ThrowsAnyAsync<NpgsqlException>(async () =>
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
        });
    }

    private static async Task StopAndDeleteAsync(string folder)
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(folder, "pg", "postmaster.pid")))
        {
            var server = LocalPostgres.Create(new LocalPostgresOptions(folder, PreferredPort: 0, RequirePassword: false));
            try { await server.StopAsync(immediate: true); } catch (InvalidOperationException) { }
        }
        Directory.Delete(folder, recursive: true);
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
