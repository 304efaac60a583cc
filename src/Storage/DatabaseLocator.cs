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
        var root = Path.IsPathRooted(options.DataDirectory) ? options.DataDirectory : Path.Combine(Home(), options.DataDirectory);
        var cluster = LocalPostgres.Create(new LocalPostgresOptions(root, options.EmbeddedPort));
        var connectionString = await cluster.EnsureRunningAsync(cancellationToken);
        if (cluster.MigratedFromTrust)
            log?.Invoke($"The embedded PostgreSQL cluster trusted every local connection; it now requires the password kept in {cluster.PasswordFile} (scram-sha-256).");
        log?.Invoke($"Using the embedded PostgreSQL cluster in {cluster.DataDirectory} on 127.0.0.1:{cluster.Port} (set ConnectionStrings__Evals to use another database).");
        return connectionString;
    }

    /// <summary>
    /// Where a relative data folder lives: the checkout's root (the folder with Evals.sln) when run from inside one, so
    /// that `./evals` at the root and `dotnet run --project src/Web` share one cluster; else the working directory.
    /// </summary>
    private static string Home()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Evals.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
