using Evals.Storage;
using Evals.Storage.Embedded;
using Npgsql;

namespace Evals.TestKit;

/// <summary>
/// A real PostgreSQL for tests. Uses <c>EVALS_TEST_DATABASE</c> (a connection string to a server where databases may be
/// created) when set; otherwise starts a throwaway cluster in a temp folder with fsync off, through the same
/// <see cref="LocalPostgres"/> the app uses. Migrates once into a template; each test class gets its own database
/// created from it, so tests never share rows.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    // One template per cluster object: test projects run in parallel against one EVALS_TEST_DATABASE server, and a fixed
    // name would let one process drop the template another is copying.
    private readonly string _template = $"evals_template_{Guid.NewGuid():N}";
    private static readonly SemaphoreSlim SharedLock = new(1, 1);
    private static PostgresCluster? _shared;
    private readonly string _adminConnectionString;
    private readonly SemaphoreSlim _templateLock = new(1, 1);
    private bool _templateReady;

    private PostgresCluster(string adminConnectionString, LocalPostgres? server, string? folder)
    {
        _adminConnectionString = adminConnectionString;
        Server = server;
        Folder = folder;
    }

    /// <summary>The local cluster, when this process started one (null with EVALS_TEST_DATABASE).</summary>
    public LocalPostgres? Server { get; }
    public string? Folder { get; }

    /// <summary>The cluster shared by every test in this process, started on first use and stopped at exit.</summary>
    public static async Task<PostgresCluster> SharedAsync()
    {
        await SharedLock.WaitAsync();
        try
        {
            if (_shared is not null) return _shared;
            if (Environment.GetEnvironmentVariable("EVALS_TEST_DATABASE") is { Length: > 0 } external)
            {
                Console.WriteLine("Tests use the PostgreSQL server named by EVALS_TEST_DATABASE.");
                _shared = new PostgresCluster(external, null, null);
            }
            else
            {
                _shared = await StartPrivateAsync();
                var shared = _shared;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => shared.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return _shared;
        }
        finally
        {
            SharedLock.Release();
        }
    }

    /// <summary>A cluster of its own, for tests that stop and start the server. Trust, like every test fixture cluster: it lives in a temp folder for one test process and holds no one's data.</summary>
    public static async Task<PostgresCluster> StartPrivateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("evals-pg-").FullName;
        var server = LocalPostgres.Create(new LocalPostgresOptions(folder, PreferredPort: 0, Durable: false, Database: "postgres", MaxConnections: 300, RequirePassword: false));
        await server.EnsureRunningAsync();
        return new PostgresCluster(server.ConnectionString("postgres"), server, folder);
    }

    /// <summary>A new, migrated database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        await EnsureTemplateAsync();
        var name = $"{prefix ?? "t"}_{Guid.NewGuid():N}".ToLowerInvariant();
        await ExecuteAsync($"CREATE DATABASE \"{name}\" TEMPLATE {_template}");
        return ConnectionStringFor(name);
    }

    /// <summary>A new database with no tables at all.</summary>
    public async Task<string> CreateEmptyDatabaseAsync()
    {
        var name = $"empty_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return ConnectionStringFor(name);
    }

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = database, ConnectionIdleLifetime = 10 }.ConnectionString;

    private async Task EnsureTemplateAsync()
    {
        await _templateLock.WaitAsync();
        try
        {
            if (_templateReady) return;
            await ExecuteAsync($"CREATE DATABASE {_template}");
            var connectionString = ConnectionStringFor(_template);
            await Migrator.MigrateAsync(connectionString);
            // A template must have no other sessions when it is copied.
            NpgsqlConnection.ClearAllPools();
            _templateReady = true;
        }
        finally
        {
            _templateLock.Release();
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Server is null)
        {
            // A shared server outlives us: leave it without our template (the per-class databases are the server's owner's).
            if (_templateReady)
            {
                try { await ExecuteAsync($"DROP DATABASE IF EXISTS {_template}"); } catch (NpgsqlException) { }
            }
            return;
        }
        try
        {
            await Server.StopAsync(immediate: true);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"could not stop the test cluster: {e.Message}");
        }
        if (Folder is not null)
        {
            try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
