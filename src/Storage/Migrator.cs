using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Storage;

/// <summary>
/// The one code path that migrates. Nodes that start at once are serialised by a PostgreSQL advisory lock held for the
/// whole migration: EF Core's own migration lock let two nodes apply the first migration twice on an empty database
/// (a test drill caught it), so we take ours before EF reads which migrations are applied.
/// </summary>
public static class Migrator
{
    // Any constant works; it only has to be the same for every node. ("evals" in ASCII.)
    private const long LockKey = 0x6576616c73;

    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var db = CreateContext(connectionString);
        if (!await db.Database.CanConnectAsync(cancellationToken))
            await db.Database.EnsureCreatedOrExistsAsync(connectionString, cancellationToken);
        await using var lockConnection = new NpgsqlConnection(connectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({LockKey})", lockConnection))
            await take.ExecuteNonQueryAsync(cancellationToken);
        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0) await db.Database.MigrateAsync(cancellationToken);
            return pending;
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public static EvalsDbContext CreateContext(string connectionString) =>
        new(new DbContextOptionsBuilder<EvalsDbContext>().UseNpgsql(connectionString).Options);

    /// <summary>Creates the database named in the connection string when it does not exist (a race with another node is fine).</summary>
    private static async Task EnsureCreatedOrExistsAsync(this Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade _, string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database ?? throw new InvalidOperationException("the connection string names no database");
        builder.Database = "postgres";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = name } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null) return;
        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"")}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
        }
    }
}
