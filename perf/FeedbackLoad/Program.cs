using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Evals.LoadGenerator;
using Evals.Perf;
using Evals.Storage;
using Evals.Storage.Embedded;
using Evals.Storage.Entities;
using Evals.Storage.Feedback;
using Npgsql;

// Online feedback under load (issue 17's benchmark): one event per request from N concurrent clients for a fixed time
// against several web nodes (each its own process) on one throwaway durable cluster; events/s as a share of a plain
// binary COPY of the same rows, p50/p99 latency, and acknowledged = stored.
// Usage: Evals.FeedbackLoad [--seconds 60] [--clients 32] [--nodes 2] [--max-requests 2000000] [--warmup-seconds 5]
var seconds = 60;
var clients = 32;
var nodes = 2;
var maxRequests = 2_000_000L;
var warmupSeconds = 5;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--clients": clients = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--nodes": nodes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--max-requests": maxRequests = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--warmup-seconds": warmupSeconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var root = Path.Combine(Path.GetTempPath(), $"evals-perf-feedback-load-{Guid.NewGuid():N}");
var cluster = LocalPostgres.Create(new LocalPostgresOptions(root, PreferredPort: WebNodes.FreePort(), Durable: true, Database: "evals_perf"));
var webs = new List<Process>();
try
{
    var connectionString = await cluster.EnsureRunningAsync();
    await Migrator.MigrateAsync(connectionString);
    var key = ApiKey.NewKey();
    var keyId = Guid.NewGuid();
    await using (var db = Migrator.CreateContext(connectionString))
    {
        // The rate is counted in PostgreSQL on every request (as in production); it is set high enough never to refuse.
        db.ApiKeys.Add(new ApiKey { Id = keyId, Name = "perf", Scope = "feedback", Hash = ApiKey.HashOf(key), Prefix = key[..10], RequestsPerMinute = 1_000_000_000 });
        await db.SaveChangesAsync();
    }
    var targets = new List<Uri>();
    for (var n = 0; n < nodes; n++)
    {
        var port = WebNodes.FreePort();
        webs.Add(WebNodes.Start(connectionString, port));
        targets.Add(new Uri($"http://127.0.0.1:{port}/"));
    }
    foreach (var (target, web) in targets.Zip(webs)) await WebNodes.WaitHealthyAsync(target, web, TimeSpan.FromSeconds(300));
    Console.WriteLine($"Evals feedback load benchmark, {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
    Console.WriteLine($"cluster 127.0.0.1:{cluster.Port} (durable: fsync and synchronous_commit on); {nodes} web node(s) (pids {string.Join(", ", webs.Select(w => w.Id))}); " +
        $"{clients} clients, one event per request, {seconds} s");

    var now = TimeProvider.System.GetUtcNow();
    var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    const string output = "长江流域的主要城市有上海、武汉和重庆。上海是经济中心，武汉是交通枢纽，重庆是西南地区的重要城市，三地各有特色。";
    string Input(long i) => $"第{i}个问题：请用三句话介绍一下长江流域的主要城市和它们的特点。";
    string Model(long i) => i % 2 == 0 ? "qwen-mini" : "glm-small";
    DateTimeOffset At(long i) => now.AddMinutes(-(i % 10_000));
    // cut: the body without its closing brace, for the floor below.
    HttpRequestMessage Request(string prefix, long i, bool cut = false)
    {
        var body = JsonSerializer.Serialize(new
        {
            event_id = $"{prefix}-{i}", trace_id = $"trace-{i}", model = Model(i), input = Input(i), output, rating = i % 4 != 0 ? "up" : "down",
            tags = new[] { "perf" }, timestamp = At(i).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        }, json);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/feedback") { Content = new StringContent(cut ? body[..^1] : body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }
    FeedbackRow Row(long i) => new($"s-{i}", $"trace-{i}", Model(i), null, null, Input(i), output, "thumbs", i % 4 != 0 ? (short)1 : (short)0, i % 4 != 0, ["perf"], null, At(i), now, keyId);
    static async Task<bool> Acknowledged(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains("\"accepted\":1", StringComparison.Ordinal);

    async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("TRUNCATE feedback_events CASCADE; CHECKPOINT", connection);
        await command.ExecuteNonQueryAsync();
    }

    async Task<long> CountAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM feedback_events", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    // What the load asks of the database, from its own statistics: transactions (a single statement outside a transaction
    // is one, so for this load each is one round trip), key lookups by hash, and rate-counter rows written. An idle
    // backend reports its last statistics within 10 s.
    async Task<(long Transactions, long KeyLookups, long CounterWrites)> DatabaseWorkAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(11));
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()),
                   (SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE relname = 'api_keys' AND indexrelname LIKE '%hash%')::bigint,
                   (SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables WHERE relname = 'arena_limit_counters')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    // Where the load's CPU goes: this process (the load generator), each web node, PostgreSQL.
    CpuTimes Cpu() =>
        new(ProcessCpu.Seconds(Environment.ProcessId), webs.Select(w => ProcessCpu.Seconds(w.Id)).ToArray(), ProcessCpu.PostgresSeconds(cluster.DataDirectory));

    // The floor: the same requests through the same nodes and pipeline (key, body read, JSON parse to the last byte) but
    // with the body's closing brace cut, so each is answered 400 before anything reaches the database. A feedback post
    // cannot be answered with less work than this, so it bounds what the feedback path could reach on the machine.
    HttpRequestMessage FloorRequest(long i) => Request("f", i, cut: true);

    // Warm-up: JIT, connection pools and the group-commit writers on every node.
    await BoundedLoad.RunAsync(new LoadOptions(targets, clients, long.MaxValue, TimeSpan.FromSeconds(warmupSeconds)),
        (i, _) => Request("w", i), (_, r) => Acknowledged(r));
    await ResetAsync();

    var before = await DatabaseWorkAsync();
    var cpuBefore = Cpu();
    var report = await BoundedLoad.RunAsync(new LoadOptions(targets, clients, maxRequests, TimeSpan.FromSeconds(seconds)),
        (i, _) => Request("s", i), (_, r) => Acknowledged(r));
    var cpuAfter = Cpu();
    var after = await DatabaseWorkAsync();
    var stored = await CountAsync();

    // The same number of rows, the same contents, written by one plain binary COPY (median of three).
    var rows = Enumerable.Range(0, (int)Math.Max(1, report.Acknowledged)).Select(i => Row(i)).ToList();
    var copies = new List<double>();
    for (var r = 0; r < 3; r++)
    {
        await ResetAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var watch = Stopwatch.StartNew();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await FeedbackWriter.CopyAsync(connection, "feedback_events", rows);
            await transaction.CommitAsync();
        }
        copies.Add(rows.Count / watch.Elapsed.TotalSeconds);
        if (await CountAsync() != rows.Count) throw new InvalidOperationException("COPY stored a different number of rows");
    }
    var copy = copies.Order().ElementAt(1);

    await BoundedLoad.RunAsync(new LoadOptions(targets, clients, long.MaxValue, TimeSpan.FromSeconds(Math.Min(warmupSeconds, 3))),
        (i, _) => FloorRequest(i), (_, r) => Task.FromResult(r.StatusCode == HttpStatusCode.BadRequest));
    var floorSeconds = Math.Clamp(seconds / 2, 1, 30);
    var floorCpuBefore = Cpu();
    var floor = await BoundedLoad.RunAsync(new LoadOptions(targets, clients, maxRequests, TimeSpan.FromSeconds(floorSeconds)),
        (i, _) => FloorRequest(i), (_, r) => Task.FromResult(r.StatusCode == HttpStatusCode.BadRequest));
    var floorCpuAfter = Cpu();

    Console.WriteLine();
    Console.WriteLine($"requests sent             {report.Sent,10}   in {report.Elapsed.TotalSeconds:0.0} s");
    Console.WriteLine($"acknowledged (200)        {report.Acknowledged,10}   refused {report.Refused}, failed {report.Failed}");
    Console.WriteLine($"stored (count in DB)      {stored,10}   {(stored == report.Acknowledged ? "= acknowledged" : "DIFFERS FROM ACKNOWLEDGED")}");
    Console.WriteLine($"events/s (acknowledged)   {report.AcknowledgedPerSecond,10:0}");
    Console.WriteLine($"plain binary COPY rows/s  {copy,10:0}   runs {string.Join(", ", copies.Select(c => c.ToString("0", CultureInfo.InvariantCulture)))}");
    Console.WriteLine($"share of COPY             {report.AcknowledgedPerSecond / copy,10:P1}");
    double PerRequest(long work) => (double)work / Math.Max(1, report.Sent);
    Console.WriteLine($"per request, in PostgreSQL  {PerRequest(after.Transactions - before.Transactions - 1):0.00} transactions (round trips), " +
        $"{PerRequest(after.KeyLookups - before.KeyLookups):0.00} key lookups, {PerRequest(after.CounterWrites - before.CounterWrites):0.00} rate-counter writes");
    Console.WriteLine($"latency p50 / p99 / max   {report.Percentile(50),7:0.0} ms / {report.Percentile(99):0.0} ms / {report.LatenciesMs[^1]:0.0} ms");
    void PrintCpu(string label, LoadReport load, CpuTimes from, CpuTimes to)
    {
        double Micros(double cpuSeconds) => cpuSeconds * 1e6 / Math.Max(1, load.Sent);
        var nodeSeconds = to.Nodes.Zip(from.Nodes, (a, b) => a - b).ToArray();
        var postgres = to.Postgres - from.Postgres;
        var total = to.Generator - from.Generator + nodeSeconds.Sum() + postgres;
        Console.WriteLine($"{label,-26}load generator {Micros(to.Generator - from.Generator):0} µs, web nodes {Micros(nodeSeconds.Sum()):0} µs " +
            $"({string.Join(" + ", nodeSeconds.Select(n => Micros(n).ToString("0", CultureInfo.InvariantCulture)))}), " +
            $"PostgreSQL {Micros(postgres):0} µs; " +
            $"total {Micros(total):0} µs = {total / load.Elapsed.TotalSeconds:0.00} of {Environment.ProcessorCount} cores busy");
    }
    PrintCpu("CPU per request", report, cpuBefore, cpuAfter);
    Console.WriteLine();
    Console.WriteLine($"floor: the same requests cut short (400 before the database), {floorSeconds} s");
    Console.WriteLine($"requests/s (all 400)      {floor.Sent / floor.Elapsed.TotalSeconds,10:0}   {(floor.Refused + floor.Failed == 0 ? "every answer 400" : $"{floor.Refused} not 400, {floor.Failed} failed")}");
    Console.WriteLine($"as a share of COPY        {floor.Sent / floor.Elapsed.TotalSeconds / copy,10:P1}   (the most a feedback post could reach here)");
    Console.WriteLine($"latency p50 / p99         {floor.Percentile(50),7:0.0} ms / {floor.Percentile(99):0.0} ms");
    PrintCpu("CPU per request", floor, floorCpuBefore, floorCpuAfter);
    return stored == report.Acknowledged && report.Failed == 0 ? 0 : 1;
}
finally
{
    foreach (var web in webs.Where(w => !w.HasExited))
    {
        web.Kill(entireProcessTree: true);
        await web.WaitForExitAsync();
    }
    try
    {
        if (Directory.Exists(cluster.DataDirectory)) await cluster.StopAsync(immediate: true);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"could not clean up {root}: {e.Message}");
    }
}

/// <summary>CPU seconds charged so far to the load generator, each web node and PostgreSQL.</summary>
internal sealed record CpuTimes(double Generator, double[] Nodes, double Postgres);
