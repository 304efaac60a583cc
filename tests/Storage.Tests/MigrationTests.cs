using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Evals.Storage.Tests;

public sealed class MigrationTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_model_has_no_changes_missing_from_the_migrations()
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.False(db.Database.HasPendingModelChanges(), "run `dotnet ef migrations add NAME --project src/Storage --startup-project src/Storage`");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task Quartz_tables_come_from_a_migration_and_migrating_again_changes_nothing()
    {
        var applied = await Migrator.MigrateAsync(database.ConnectionString);
        Assert.Empty(applied);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var tables = await db.Database.SqlQueryRaw<string>(
            "SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'qrtz_%'").ToListAsync();
        Assert.Contains("qrtz_job_details", tables);
        Assert.Contains("qrtz_fired_triggers", tables);
        Assert.Contains("qrtz_locks", tables);
        var migrations = db.GetService<IMigrationsAssembly>().Migrations.Keys;
        Assert.Contains(migrations, m => m.EndsWith("_QuartzTables", StringComparison.Ordinal));
    }
}
