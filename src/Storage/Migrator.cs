using Microsoft.EntityFrameworkCore;

namespace Evals.Storage;

/// <summary>
/// The one code path that migrates. EF Core 9+ takes a database-wide lock around <c>Migrate</c> (Npgsql: an advisory
/// lock), so nodes that start at once apply each migration exactly once.
/// </summary>
public static class Migrator
{
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var db = CreateContext(connectionString);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        return pending;
    }

    public static EvalsDbContext CreateContext(string connectionString) =>
        new(new DbContextOptionsBuilder<EvalsDbContext>().UseNpgsql(connectionString).Options);
}
