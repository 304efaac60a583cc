using Evals.Storage.Embedded;
using Microsoft.Extensions.Configuration;

namespace Evals.Storage;

/// <summary>Resolves the connection string once per process, starting the embedded cluster when none is configured.</summary>
public static class DatabaseLocator
{
    public static DatabaseOptions ReadOptions(IConfiguration configuration) => new()
    {
        ConnectionString = configuration.GetConnectionString("Evals") is { Length: > 0 } cs ? cs : null,
        DataDirectory = configuration["Evals:DataDirectory"] is { Length: > 0 } dir ? dir : ".data",
        EmbeddedPort = int.TryParse(configuration["Evals:EmbeddedPort"], out var port) ? port : 55432,
    };

    public static async Task<string> ResolveAsync(DatabaseOptions options, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        if (options.ConnectionString is { } configured) return configured;
        var root = Path.GetFullPath(options.DataDirectory);
        var cluster = LocalPostgres.Create(new LocalPostgresOptions(root, options.EmbeddedPort));
        var connectionString = await cluster.EnsureRunningAsync(cancellationToken);
        log?.Invoke($"Using the embedded PostgreSQL cluster in {cluster.DataDirectory} on 127.0.0.1:{cluster.Port} (set ConnectionStrings__Evals to use another database).");
        return connectionString;
    }
}
