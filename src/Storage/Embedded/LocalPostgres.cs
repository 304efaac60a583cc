using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Npgsql;

namespace Evals.Storage.Embedded;

/// <summary>Settings of a private PostgreSQL cluster that Evals runs itself.</summary>
/// <param name="DataRoot">Folder that holds the cluster (<c>pg/</c>), its lock file and its log.</param>
/// <param name="PreferredPort">Used when free; otherwise the operating system picks one.</param>
/// <param name="Durable">False for throwaway test clusters: fsync and synchronous commit off.</param>
/// <param name="RequirePassword">
/// True (the app's cluster): every connection needs the generated password in <c>pg.pass</c> (scram-sha-256), and a
/// cluster an older version made with trust is migrated. False only for the tests' throwaway clusters: trust.
/// </param>
public sealed record LocalPostgresOptions(
    string DataRoot, int PreferredPort = 55432, bool Durable = true, string Database = "evals", int MaxConnections = 200, bool RequirePassword = true);

/// <summary>
/// Starts (or finds running) a private PostgreSQL cluster bound to 127.0.0.1, for the embedded default and for tests.
/// initdb and pg_ctl refuse to run as root, so as root they run as the unprivileged <c>postgres</c> user, which then owns
/// the data folder. A lock file serialises processes that start at once; a second process finds the cluster running
/// (postmaster.pid names its port) and just connects. Every connection needs the cluster's password, kept beside it in
/// <c>pg.pass</c> (mode 0600, owned by the app's user), so other local users cannot connect as its superuser.
/// </summary>
public sealed partial class LocalPostgres
{
    public const string User = "evals";
    private const string SystemUser = "postgres";
    private readonly LocalPostgresOptions _options;
    private readonly string _bin;
    private string? _password;

    private LocalPostgres(LocalPostgresOptions options, string bin)
    {
        _options = options;
        _bin = bin;
    }

    public string DataDirectory => Path.Combine(_options.DataRoot, "pg");
    public string LogFile => Path.Combine(DataDirectory, "server.log");
    public string PasswordFile => Path.Combine(_options.DataRoot, "pg.pass");
    public int Port { get; private set; }

    /// <summary>True when this call found a cluster that trusted every local connection and gave it a password.</summary>
    public bool MigratedFromTrust { get; private set; }

    public string ConnectionString(string? database = null) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Database = database ?? _options.Database,
        Password = _password,
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
            var existed = File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));
            if (_options.RequirePassword) _password = ReadOrCreatePassword(existed);
            if (!existed) await InitAsync(cancellationToken);
            Port = RunningPort() ?? await StartAsync(cancellationToken);
            if (_options.RequirePassword && HbaTrustsSomeone()) await MigrateFromTrustAsync(cancellationToken);
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
        string[] args = ["-D", DataDirectory, "-U", User, "--encoding=UTF8", "--no-locale", "--no-sync"];
        if (_password is null)
        {
            await InitdbAsync([.. args, "--auth=trust"], cancellationToken);
            return;
        }
        // initdb reads the password from a file; as root it runs as the postgres user, who cannot read pg.pass (the
        // app's, 0600), so it gets a copy of its own for the moment initdb runs.
        var pwfile = Path.Combine(_options.DataRoot, "pg.pass.initdb");
        try
        {
            WriteOwnerOnly(pwfile, _password, FileMode.Create);
            if (IsRoot) await ChownFileAsync(pwfile, cancellationToken);
            await InitdbAsync([.. args, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--pwfile=" + pwfile], cancellationToken);
        }
        finally
        {
            File.Delete(pwfile);
        }
    }

    private async Task InitdbAsync(string[] args, CancellationToken cancellationToken)
    {
        var result = await RunAsync(Path.Combine(_bin, "initdb"), args, TimeSpan.FromMinutes(3), cancellationToken);
        if (result.ExitCode != 0) throw new InvalidOperationException($"initdb failed for {DataDirectory}: {result.Output}");
    }

    /// <summary>
    /// The cluster's password from <c>pg.pass</c>, made (32 random bytes as hex, mode 0600) when the file is missing. A
    /// cluster that exists without the file is one an older version made with trust; it is migrated once started.
    /// </summary>
    private string ReadOrCreatePassword(bool clusterExists)
    {
        try
        {
            if (File.Exists(PasswordFile))
            {
                // Someone may have copied or restored it with a wider mode; the password is the superuser's.
                if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(PasswordFile) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
                    File.SetUnixFileMode(PasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                var stored = File.ReadAllText(PasswordFile).Trim();
                if (stored.Length == 0) throw new InvalidOperationException($"{PasswordFile} is empty; it must hold the embedded cluster's password");
                return stored;
            }
            if (clusterExists && !HbaTrustsSomeone())
                throw new InvalidOperationException(
                    $"{PasswordFile} is missing, but the cluster in {DataDirectory} needs a password: restore the file, or set ConnectionStrings__Evals");
            var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            WriteOwnerOnly(PasswordFile, password, FileMode.CreateNew);
            return password;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InvalidOperationException(
                $"cannot read the embedded cluster's password in {PasswordFile} ({e.Message}); run as the user that owns it, or set ConnectionStrings__Evals", e);
        }
    }

    private static void WriteOwnerOnly(string path, string text, FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    private string HbaFile => Path.Combine(DataDirectory, "pg_hba.conf");

    /// <summary>Whether pg_hba.conf lets any connection in without a password (<c>trust</c>), as older versions made it.</summary>
    private bool HbaTrustsSomeone() =>
        File.Exists(HbaFile) && File.ReadLines(HbaFile).Any(line => !line.TrimStart().StartsWith('#') && TrustMethod().IsMatch(line));

    /// <summary>
    /// Gives a cluster made with <c>--auth=trust</c> the password from pg.pass and requires it (scram-sha-256) for every
    /// connection: the role's password first (trust still lets us in), then pg_hba.conf, then a reload. Each step may be
    /// repeated, so a migration cut short finishes on the next start.
    /// </summary>
    private async Task MigrateFromTrustAsync(CancellationToken cancellationToken)
    {
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync(cancellationToken);
            // ALTER ROLE takes no parameters; the password is hex, so it needs no quoting beyond the literal's.
            await using var alter = new NpgsqlCommand(
                $"SET password_encryption = 'scram-sha-256'; ALTER ROLE \"{User}\" PASSWORD '{_password}'", connection);
            await alter.ExecuteNonQueryAsync(cancellationToken);
        }
        var lines = File.ReadAllLines(HbaFile)
            .Select(line => line.TrimStart().StartsWith('#') ? line : TrustMethod().Replace(line, "scram-sha-256"));
        await File.WriteAllLinesAsync(HbaFile, lines, cancellationToken);
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync(cancellationToken);
            await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
            await reload.ExecuteNonQueryAsync(cancellationToken);
        }
        NpgsqlConnection.ClearAllPools();
        await WaitUntilPasswordRequiredAsync(cancellationToken);
        MigratedFromTrust = true;
    }

    /// <summary>The postmaster applies a reload asynchronously; wait until a connection without the password is refused.</summary>
    private async Task WaitUntilPasswordRequiredAsync(CancellationToken cancellationToken)
    {
        var withoutPassword = new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Password = null, Pooling = false }.ConnectionString;
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(withoutPassword);
                await connection.OpenAsync(cancellationToken);
            }
            catch (NpgsqlException)
            {
                return;
            }
            if (Environment.TickCount64 > deadline)
                throw new InvalidOperationException($"the cluster in {DataDirectory} still accepts connections without a password after pg_hba.conf was rewritten");
            await Task.Delay(50, cancellationToken);
        }
    }

    [GeneratedRegex(@"(?<=\s)trust(?=\s|$)")]
    private static partial Regex TrustMethod();

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

    private static async Task ChownFileAsync(string path, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("chown", [$"{SystemUser}:", path], TimeSpan.FromSeconds(30), cancellationToken);
        if (result.ExitCode != 0) throw new InvalidOperationException($"chown of {path} to '{SystemUser}' failed: {result.Output}");
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
