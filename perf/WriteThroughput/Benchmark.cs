using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Evals.Storage;
using Evals.Storage.Embedded;
using Evals.Storage.Results;
using Npgsql;

namespace Evals.WriteThroughput;

/// <summary>
/// Result-writing throughput (issue 2, "Benchmark (perf/)"): the batched <see cref="ResultWriter"/>, a single-row INSERT
/// loop and <c>psql \copy</c>, over the same rows, into the real migrated schema of a throwaway durable cluster.
/// </summary>
public static class Benchmark
{
    private static readonly Guid SuiteId = Guid.Parse("5e7e0000-0000-4000-8000-000000000001");
    private static readonly Guid TaskId = Guid.Parse("7a5c0000-0000-4000-8000-000000000001");
    private static readonly Guid RunId = Guid.Parse("0c0a0000-0000-4000-8000-000000000001");

    private static readonly string[] Settings =
    [
        "server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "wal_sync_method", "wal_compression",
        "commit_delay", "shared_buffers", "wal_buffers", "max_wal_size", "checkpoint_timeout",
    ];

    private sealed record Method(string Name, int Rows, Func<CancellationToken, Task<(int Rows, TimeSpan Elapsed)>> LoadAsync);

    public static async Task RunAsync(BenchmarkOptions options, CancellationToken cancellationToken)
    {
        if (!File.Exists(options.Psql)) throw new FileNotFoundException($"psql not found at {options.Psql} (pass --psql PATH)");
        var root = Path.Combine(Path.GetTempPath(), $"evals-perf-{Guid.NewGuid():N}");
        var cluster = LocalPostgres.Create(new LocalPostgresOptions(root, PreferredPort: FreePort(), Durable: true, Database: "evals_perf"));
        Console.WriteLine($"Evals write-throughput benchmark, {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var connectionString = await cluster.EnsureRunningAsync(cancellationToken);
            await Migrator.MigrateAsync(connectionString, cancellationToken);
            Console.WriteLine($"cluster: {cluster.DataDirectory}, 127.0.0.1:{cluster.Port}, initdb + start + migrate in {clock.Elapsed.TotalSeconds:0.0} s");
            await MeasureAsync(options, cluster, connectionString, root, cancellationToken);
        }
        finally
        {
            await CleanUpAsync(cluster, root);
        }
    }

    private static async Task MeasureAsync(BenchmarkOptions options, LocalPostgres cluster, string connectionString, string root, CancellationToken cancellationToken)
    {
        // Pooling off: the benchmark holds one connection per method, and nothing idles in a pool when the cluster stops.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await SeedParentsAsync(connection, options.Rows, cancellationToken);
        Console.WriteLine("settings (durable, as users get them): " +
                          string.Join(", ", (await SettingsAsync(connection, cancellationToken)).Select(s => $"{s.Name}={s.Value}")));

        var rows = Workload.Generate(options.Rows, RunId, TaskId);
        var csv = Path.Combine(root, "results.csv");
        Workload.WriteCsv(csv, rows);
        Console.WriteLine($"rows: {rows.Length:N0} (prompt avg {rows.Average(r => r.Prompt!.Length):0} chars, raw_output avg " +
                          $"{rows.Where(r => r.RawOutput is not null).Average(r => r.RawOutput!.Length):0} chars); CSV {new FileInfo(csv).Length / 1e6:0.0} MB");

        var batches1000 = rows.Chunk(1_000).ToArray();
        var batches16 = rows[..options.SmallBatchSample].Chunk(16).ToArray();
        var oneBatch = new[] { rows };
        var sample = rows[..options.InsertSample];
        Method[] methods =
        [
            new("writer (COPY, 1000/batch)", rows.Length, ct => Loaders.WriterAsync(connection, batches1000, ct)),
            new(SampleName("writer (COPY, 16/batch = run default", options.SmallBatchSample, rows.Length), options.SmallBatchSample,
                ct => Loaders.WriterAsync(connection, batches16, ct)),
            new($"writer (COPY, all {rows.Length:N0} in one call)", rows.Length, ct => Loaders.WriterAsync(connection, oneBatch, ct)),
            new(SampleName("INSERT loop (1 row/commit", sample.Length, rows.Length), sample.Length, ct => Loaders.InsertLoopAsync(connection, sample, ct)),
            new("psql \\copy (CSV file, 1 transaction)", rows.Length, ct => Loaders.PsqlCopyAsync(options.Psql, cluster.Port, connection.Database, csv, ct)),
        ];

        // Reference checksums from a writer load, which also warms up the JIT, the prepared paths and the caches.
        await ResetAsync(connection, cancellationToken);
        await Loaders.WriterAsync(connection, batches1000, cancellationToken);
        var expected = new Dictionary<int, string>();
        foreach (var count in methods.Select(m => m.Rows).Distinct())
            expected[count] = await ChecksumAsync(connection, rows[count - 1].ItemKey, cancellationToken);
        await ResetAsync(connection, cancellationToken);
        await Loaders.InsertLoopAsync(connection, rows[..200], cancellationToken);
        await ResetAsync(connection, cancellationToken);
        await Loaders.PsqlCopyAsync(options.Psql, cluster.Port, connection.Database, csv, cancellationToken);

        var cpu = CpuClock.ForCluster(cluster.DataDirectory);
        var samples = methods.ToDictionary(m => m, _ => new List<Sample>());
        Console.WriteLine($"load average before measuring: {LoadAverage()} (other processes on this machine share its {Environment.ProcessorCount} cores)");
        for (var repeat = 0; repeat < options.Repeats; repeat++)
        {
            // Rotate the order so that no method always runs right after the same neighbour.
            for (var k = 0; k < methods.Length; k++)
            {
                var method = methods[(k + repeat) % methods.Length];
                await ResetAsync(connection, cancellationToken);
                var walBefore = await WalPositionAsync(connection, cancellationToken);
                var cpuBefore = cpu.Read();
                var (written, elapsed) = await method.LoadAsync(cancellationToken);
                var cpuAfter = cpu.Read();
                var walBytes = await WalPositionAsync(connection, cancellationToken) - walBefore;
                var stored = await CountAsync(connection, cancellationToken);
                if (written != method.Rows || stored != method.Rows)
                    throw new InvalidOperationException($"{method.Name}: expected {method.Rows} rows, the method reported {written} and the table holds {stored}");
                if (repeat == 0)
                {
                    var checksum = await ChecksumAsync(connection, rows[method.Rows - 1].ItemKey, cancellationToken);
                    if (checksum != expected[method.Rows])
                        throw new InvalidOperationException($"{method.Name}: the stored rows differ from the writer's (md5 {checksum} vs {expected[method.Rows]})");
                }
                var sampleResult = new Sample(method.Rows / elapsed.TotalSeconds, walBytes / (double)method.Rows,
                    (cpuAfter.Client - cpuBefore.Client) * 1e6 / method.Rows, (cpuAfter.Server - cpuBefore.Server) * 1e6 / method.Rows);
                samples[method].Add(sampleResult);
                Console.WriteLine($"  {repeat + 1}/{options.Repeats}  {method.Name,-52} {sampleResult.RowsPerSecond,9:N0} rows/s  {elapsed.TotalSeconds,6:0.00} s  " +
                                  $"WAL {walBytes / 1e6,5:0.0} MB  load {LoadAverage()}");
            }
        }
        Console.WriteLine($"  (stored rows checked equal to the writer's by md5 on the first repeat; load average now {LoadAverage()})");

        Console.WriteLine();
        Console.WriteLine($"Results over the same {rows.Length:N0} rows, median of {options.Repeats} (min .. max); CPU = client / server microseconds per row:");
        foreach (var method in methods)
        {
            var r = samples[method];
            var rates = r.Select(x => x.RowsPerSecond).ToList();
            Console.WriteLine($"{method.Name,-54} {Median(rates),9:N0} rows/s  ({rates.Min():N0} .. {rates.Max():N0})  " +
                              $"WAL {Median(r.Select(x => x.WalBytesPerRow)),5:N0} B/row  CPU {Median(r.Select(x => x.ClientCpuMicros)),4:N0} / {Median(r.Select(x => x.ServerCpuMicros)),4:N0} us/row");
        }
        double Rate(int index) => Median(samples[methods[index]].Select(x => x.RowsPerSecond));
        var (writer, writer16, oneCall, insertLoop, psql) = (Rate(0), Rate(1), Rate(2), Rate(3), Rate(4));
        Console.WriteLine();
        Console.WriteLine($"writer (COPY, 1000/batch): {writer:N0} rows/s (median of {options.Repeats})");
        Console.WriteLine($"ratio vs INSERT loop: {writer / insertLoop:0.0}x (goal >= 50x: {Verdict(writer / insertLoop >= 50)}); at 16/batch {writer16 / insertLoop:0.0}x");
        Console.WriteLine($"ratio vs psql \\copy: {writer / psql:0.00}x (goal >= 0.7x: {Verdict(writer / psql >= 0.7)}); at 16/batch {writer16 / psql:0.00}x; all in one call {oneCall / psql:0.00}x");
    }

    private sealed record Sample(double RowsPerSecond, double WalBytesPerRow, double ClientCpuMicros, double ServerCpuMicros);

    private static string SampleName(string name, int sample, int rows) => sample == rows ? name + ")" : $"{name}, first {sample:N0} rows)";

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static async Task<long> WalPositionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static string Verdict(bool met) => met ? "met" : "MISSED";

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>
    /// An empty table and a fresh checkpoint before every measurement, so that no load pays for the previous load's dirty
    /// pages or checkpoint (TRUNCATE also gives the table and its indexes new, empty files).
    /// </summary>
    private static async Task ResetAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("TRUNCATE results; CHECKPOINT", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM results", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>md5 over every stored column of the rows up to <paramref name="lastKey"/>; a row's text form tells NULL from ''.</summary>
    private static async Task<string> ChecksumAsync(NpgsqlConnection connection, string lastKey, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT md5(string_agg(({Workload.Columns})::text, E'\\n' ORDER BY item_key)) FROM results WHERE item_key <= $1", connection)
        {
            Parameters = { new() { Value = lastKey } },
        };
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task SeedParentsAsync(NpgsqlConnection connection, int items, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new("INSERT INTO suites (id, name, version) VALUES ($1, 'perf', 'v1')") { Parameters = { new() { Value = SuiteId } } },
                new("INSERT INTO tasks (id, name, version, kind, manifest, item_count) VALUES ($1, 'perf-ceval-like', 'v1', 'multiple_choice', '{}', $2)")
                {
                    Parameters = { new() { Value = TaskId }, new() { Value = items } },
                },
                new("""
                    INSERT INTO runs (id, model_name, model_spec, suite_id, config, status, total_items, completed_items, failed_items, cancel_requested, attempts)
                    VALUES ($1, 'baseline:first', 'baseline:first', $2, '{}', 'running', $3, 0, 0, false, 1)
                    """)
                {
                    Parameters = { new() { Value = RunId }, new() { Value = SuiteId }, new() { Value = items } },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<(string Name, string Value)>> SettingsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT name, current_setting(name) FROM unnest($1::text[]) WITH ORDINALITY AS s(name, n) ORDER BY n", connection)
        {
            Parameters = { new() { Value = Settings } },
        };
        var settings = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) settings.Add((reader.GetString(0), reader.GetString(1)));
        return settings;
    }

    private static async Task CleanUpAsync(LocalPostgres cluster, string root)
    {
        try
        {
            if (Directory.Exists(cluster.DataDirectory)) await cluster.StopAsync(immediate: true);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"could not stop the cluster in {cluster.DataDirectory}: {e.Message}");
        }
        try
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
            Console.WriteLine($"cluster stopped, {root} deleted");
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"could not delete {root}: {e.Message}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
