using Evals.Storage;
using Evals.Storage.Embedded;
using Npgsql;

namespace Evals.Web;

/// <summary>Resolves and migrates the database before the host is built; a database that cannot be reached ends the process with one clear line.</summary>
internal static class StartupDatabase
{
    public static async Task<(string ConnectionString, bool Embedded)> ConnectAsync(IConfiguration configuration)
    {
        var options = DatabaseLocator.ReadOptions(configuration);
        try
        {
            var connectionString = await DatabaseLocator.ResolveAsync(options, Console.WriteLine);
            await Migrator.MigrateAsync(connectionString);
            return (connectionString, options.ConnectionString is null);
        }
        catch (Exception e) when (e is PostgresNotFoundException or NpgsqlException or InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"error: the database is not available: {e.Message}");
            Environment.Exit(1);
            throw;
        }
    }
}
