using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Evals.Storage.Embedded;

/// <summary>Settings of a private PostgreSQL cluster that Evals runs itself.</summary>
/// <param name="DataRoot">Folder that holds the cluster (<c>pg/</c>), its lock file and its log.</param>
/// <param name="PreferredPort">Used when free; otherwise the operating system picks one.</param>
/// <param name="Durable">False for throwaway test clusters: fsync and synchronous commit off.</param>
public sealed record LocalPostgresOptions(string DataRoot, int PreferredPort = 55432, bool Durable = true, string Database = "evals", int MaxConnections = 200);

/// <summary>
/// Starts (or finds running) a private PostgreSQL cluster bound to 127.0.0.1, for the embedded default and for tests.
/// initdb and pg_ctl refuse to run as root, so as root they run as the unprivileged <c>postgres</c> user, which then owns
/// the data folder. A lock file serialises processes that start at once; a second process finds the cluster running
/// (postmaster.pid names its port) and just connects.
/// </summary>
public sealed class LocalPostgres
{
    public const string User = "evals";
    private const string SystemUser = "postgres";
    private readonly LocalPostgresOptions _options;
    private readonly string _bin;

    private LocalPostgres(LocalPostgresOptions options, string bin)
    {
        _options = options;
        _bin = bin;
    }

    public string DataDirectory => Path.Combine(_options.DataRoot, "pg");
    public string LogFile => Path.Combine(DataDirectory, "server.log");
    public int Port { get; private set; }

    public string ConnectionString(string? database = null) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Database = database ?? _options.Database,
        // Short idle lifetime: test processes open one pool per database and must not exhaust max_connections.
        ConnectionIdleLifetime = 10,
    }.ConnectionString;

    public static LocalPostgres Create(LocalPostgresOptions options) => new(options, FindBinaries());

    /// <summary>Initialises the cluster if needed, starts it if it is not running, and makes sure the database exists.</summary>
    public async Task<string> EnsureRunningAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_options.DataRoot);
        if (IsRoot) await ChmodAsync("755", _options.DataRoot, cancellationToken);
        await using (await AcquireLockAsync(cancellationToken))
        {
            if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION"))) await InitAsync(cancellationToken);
            Port = RunningPort() ?? await StartAsync(cancellationToken);
        }
        await CreateDatabaseAsync(_options.Database, cancellationToken);
        return ConnectionString();
    }

    public async Task StopAsync(bool immediate = false, CancellationToken cancellationToken = default)
    {
        var result = await PgCtlAsync(["stop", "-D", DataDirectory, "-w", "-m", immediate ? "immediate" : "fast"], TimeSpan.FromSeconds(60), cancellationToken);
        if (result.ExitCode != 0 && RunningPort() is not null)
            throw new InvalidOperationException($"pg_ctl stop failed for {DataDirectory}: {result.Output}");
    }

    /// <summary>Starts a stopped cluster again on the port it had.</summary>
    public async Task RestartStoppedAsync(CancellationToken cancellationToken = default)
    {
        if (RunningPort() is null) await StartOnAsync(Port, cancellationToken);
    }

    public async Task CreateDatabaseAsync(string name, CancellationToken cancellationToken = default, string? template = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = name } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null) return;
        var sql = $"CREATE DATABASE \"{name.Replace("\"", "\"\"")}\"" + (template is null ? "" : $" TEMPLATE \"{template.Replace("\"", "\"\"")}\"");
        try
        {
            await using var create = new NpgsqlCommand(sql, connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another process created it between our check and our CREATE: that is what we wanted.
        }
    }

    private async Task InitAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(DataDirectory) && Directory.EnumerateFileSystemEntries(DataDirectory).Any())
            throw new InvalidOperationException($"{DataDirectory} is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away or set ConnectionStrings__Evals");
        Directory.CreateDirectory(DataDirectory);
        if (IsRoot) await ChownAsync(DataDirectory, cancellationToken);
        var result = await RunAsync(Path.Combine(_bin, "initdb"),
            ["-D", DataDirectory, "-U", User, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"], TimeSpan.FromMinutes(3), cancellationToken);
        if (result.ExitCode != 0) throw new InvalidOperationException($"initdb failed for {DataDirectory}: {result.Output}");
    }

    private async Task<int> StartAsync(CancellationToken cancellationToken)
    {
        var port = _options.PreferredPort > 0 && IsFree(_options.PreferredPort) ? _options.PreferredPort : FreePort();
        // A port found free here can be taken by another process before the postmaster binds it; the postmaster then logs
        // "could not bind" and exits. Try another port rather than fail (three tries in all).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnAsync(port, cancellationToken);
                return port;
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("could not bind", StringComparison.Ordinal))
            {
                port = FreePort();
            }
        }
    }

    private async Task StartOnAsync(int port, CancellationToken cancellationToken)
    {
        var settings = $"-p {port} -k {DataDirectory} -c listen_addresses=127.0.0.1 -c max_connections={_options.MaxConnections}";
        if (!_options.Durable) settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        var result = await PgCtlAsync(["start", "-D", DataDirectory, "-w", "-t", "60", "-l", LogFile, "-o", settings], TimeSpan.FromSeconds(90), cancellationToken);
        if (result.ExitCode != 0)
        {
            var log = File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(10)) : "(no log)";
            throw new InvalidOperationException($"pg_ctl could not start the cluster in {DataDirectory} on port {port}: {result.Output}\n{log}");
        }
        Port = port;
    }

    /// <summary>The port of the postmaster that runs this cluster, or null when none runs.</summary>
    private int? RunningPort()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        string[] lines;
        try
        {
            lines = File.ReadAllLines(pidFile);
        }
        catch (IOException)
        {
            return null;
        }
        // postmaster.pid: line 1 the PID, line 4 the port (PostgreSQL's miscadmin.h LOCK_FILE_LINE_*).
        if (lines.Length < 4 || !int.TryParse(lines[0].Trim(), out var pid) || !int.TryParse(lines[3].Trim(), out var port)) return null;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            if (process.HasExited) return null;
        }
        catch (ArgumentException)
        {
            return null; // stale file left by a killed server; pg_ctl start copes with it
        }
        return CanConnect(port) ? port : null;
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private Task<ProcessResult> PgCtlAsync(string[] args, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), args, timeout, cancellationToken);

    private static Task<ProcessResult> RunAsync(string file, string[] args, TimeSpan timeout, CancellationToken cancellationToken) =>
        IsRoot
            ? ProcessRunner.RunAsync("runuser", ["-u", SystemUser, "--", file, .. args], timeout, cancellationToken)
            : ProcessRunner.RunAsync(file, args, timeout, cancellationToken);

    private async Task<IAsyncDisposable> AcquireLockAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(_options.DataRoot, "pg.lock");
        var deadline = Environment.TickCount64 + 120_000;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static bool IsRoot => Environment.IsPrivilegedProcess;

    private static async Task ChownAsync(string path, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("chown", ["-R", $"{SystemUser}:", path], TimeSpan.FromSeconds(30), cancellationToken);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"running as root, the cluster must belong to the '{SystemUser}' user, but chown failed: {result.Output}");
        await ChmodAsync("700", path, cancellationToken);
    }

    private static async Task ChmodAsync(string mode, string path, CancellationToken cancellationToken) =>
        await ProcessRunner.RunAsync("chmod", [mode, path], TimeSpan.FromSeconds(10), cancellationToken);

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindBinaries()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
                return dir;
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
                .OrderByDescending(d => d.Version).FirstOrDefault();
            if (newest.Dir is not null) return newest.Dir;
        }
        throw new PostgresNotFoundException(debian + "/*/bin");
    }
}
