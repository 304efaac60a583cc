using Evals.Storage.Embedded;
using Npgsql;

namespace Evals.Storage.Tests.Embedded;

public sealed class LocalPostgresTests
{
    [Fact]
    public async Task A_second_process_finds_the_cluster_running_and_a_restart_reuses_its_data()
    {
        var folder = Directory.CreateTempSubdirectory("evals-embedded-").FullName;
        var options = new LocalPostgresOptions(folder, PreferredPort: 0, Durable: false);
        var first = LocalPostgres.Create(options);
        try
        {
            var connectionString = await first.EnsureRunningAsync();
            await ExecuteAsync(connectionString, "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('kept')");

            // What a second process does: same folder, finds postmaster.pid, connects to the same port.
            var second = LocalPostgres.Create(options);
            Assert.Equal(connectionString, await second.EnsureRunningAsync());
            Assert.Equal(first.Port, second.Port);

            NpgsqlConnection.ClearAllPools();
            await first.StopAsync();
            var third = LocalPostgres.Create(options);
            var again = await third.EnsureRunningAsync();
            Assert.Equal("kept", await ScalarAsync(again, "SELECT v FROM marker"));
            Assert.Equal("127.0.0.1", new NpgsqlConnectionStringBuilder(again).Host);
            Assert.Equal("127.0.0.1", await ScalarAsync(again, "SHOW listen_addresses"));
            await third.StopAsync(immediate: true);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            try { await first.StopAsync(immediate: true); } catch (InvalidOperationException) { }
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_folder_that_holds_something_else_is_not_overwritten()
    {
        var folder = Directory.CreateTempSubdirectory("evals-embedded-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "pg"));
        File.WriteAllText(Path.Combine(folder, "pg", "precious.txt"), "do not delete");
        var server = LocalPostgres.Create(new LocalPostgresOptions(folder, PreferredPort: 0));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.EnsureRunningAsync());
        Assert.Contains("not empty but holds no PostgreSQL cluster", error.Message);
        Assert.Equal("do not delete", File.ReadAllText(Path.Combine(folder, "pg", "precious.txt")));
        Directory.Delete(folder, recursive: true);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
