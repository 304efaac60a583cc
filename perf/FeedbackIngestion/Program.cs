using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Evals.Perf;
using Evals.Storage;
using Evals.Storage.Embedded;
using Evals.Storage.Entities;
using Evals.Storage.Feedback;
using Npgsql;

// Feedback ingestion: events/s through the real POST /api/feedback (the web app in its own process, a feedback key,
// validation, staging COPY + INSERT … ON CONFLICT) at 1 and 100 events per request, against the same rows written by
// a plain binary COPY into feedback_events in the same run, on a throwaway durable cluster.
// Usage: Evals.FeedbackIngestion [--repeats N] [--single N] [--batched N] [--clients N]
var repeats = 3;
var singleEvents = 3_000;
var batchedEvents = 30_000;
var clients = 16;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--repeats": repeats = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--single": singleEvents = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--batched": batchedEvents = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--clients": clients = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var root = Path.Combine(Path.GetTempPath(), $"evals-perf-feedback-{Guid.NewGuid():N}");
var cluster = LocalPostgres.Create(new LocalPostgresOptions(root, PreferredPort: WebNodes.FreePort(), Durable: true, Database: "evals_perf"));
Process? web = null;
try
{
    var connectionString = await cluster.EnsureRunningAsync();
    await Migrator.MigrateAsync(connectionString);
    var key = ApiKey.NewKey();
    var keyId = Guid.NewGuid();
    await using (var db = Migrator.CreateContext(connectionString))
    {
        db.ApiKeys.Add(new ApiKey { Id = keyId, Name = "perf", Scope = "feedback", Hash = ApiKey.HashOf(key), Prefix = key[..10], RequestsPerMinute = 100_000_000 });
        await db.SaveChangesAsync();
    }
    var port = WebNodes.FreePort();
    web = WebNodes.Start(connectionString, port);
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(2) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    await WebNodes.WaitHealthyAsync(http.BaseAddress!, web, TimeSpan.FromSeconds(120));
    Console.WriteLine($"Evals feedback-ingestion benchmark, {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
    Console.WriteLine($"cluster 127.0.0.1:{cluster.Port} (durable: fsync and synchronous_commit on); web app pid {web.Id} on port {port}; {clients} clients in flight; median of {repeats}");

    var now = TimeProvider.System.GetUtcNow();
    var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    List<(object Json, FeedbackRow Row)> Events(string prefix, int count) => Enumerable.Range(0, count).Select(i =>
    {
        var input = $"第{i}个问题：请用三句话介绍一下长江流域的主要城市和它们的特点。";
        var output = "长江流域的主要城市有上海、武汉和重庆。上海是经济中心，武汉是交通枢纽，重庆是西南地区的重要城市，三地各有特色。";
        var at = now.AddMinutes(-(i % 10_000));
        var up = i % 4 != 0;
        return ((object)new { event_id = $"{prefix}-{i}", trace_id = $"trace-{i}", model = i % 2 == 0 ? "qwen-mini" : "glm-small", input, output,
            rating = up ? "up" : "down", tags = new[] { "perf" }, timestamp = at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) },
            new FeedbackRow($"{prefix}-{i}", $"trace-{i}", i % 2 == 0 ? "qwen-mini" : "glm-small", null, null, input, output, "thumbs", up ? (short)1 : (short)0, up, ["perf"], null, at, now, keyId));
    }).ToList();

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

    async Task<double> HttpAsync(List<(object Json, FeedbackRow Row)> events, int batch)
    {
        await ResetAsync();
        // Bodies are serialised before the clock starts: what is timed is the server's work and the HTTP exchange.
        var bodies = events.Chunk(batch).Select(c => batch == 1 ? JsonSerializer.Serialize(c[0].Json, json) : JsonSerializer.Serialize(c.Select(e => e.Json), json)).ToArray();
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < bodies.Length)
            {
                using var content = new StringContent(bodies[index], Encoding.UTF8, "application/json");
                using var response = await http.PostAsync("api/feedback", content);
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK || !text.Contains("\"rejected\":[]", StringComparison.Ordinal))
                    throw new InvalidOperationException($"request {index}: {(int)response.StatusCode} {text}");
            }
        }));
        var elapsed = watch.Elapsed;
        var stored = await CountAsync();
        if (stored != events.Count) throw new InvalidOperationException($"{stored} rows stored, expected {events.Count}");
        return events.Count / elapsed.TotalSeconds;
    }

    async Task<double> CopyAsync(List<(object Json, FeedbackRow Row)> events)
    {
        await ResetAsync();
        var rows = events.Select(e => e.Row).ToList();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var watch = Stopwatch.StartNew();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await FeedbackWriter.CopyAsync(connection, "feedback_events", rows);
            await transaction.CommitAsync();
        }
        var elapsed = watch.Elapsed;
        if (await CountAsync() != events.Count) throw new InvalidOperationException("COPY stored a different number of rows");
        return events.Count / elapsed.TotalSeconds;
    }

    var single = Events("s", singleEvents);
    var batched = Events("b", batchedEvents);
    // Warm-up: JIT and connection pools on both sides.
    await HttpAsync(single.Take(500).ToList(), 1);
    await HttpAsync(batched.Take(2_000).ToList(), 100);
    await CopyAsync(batched.Take(2_000).ToList());

    var results = new Dictionary<string, List<double>> { ["http1"] = [], ["copy1"] = [], ["http100"] = [], ["copy100"] = [] };
    for (var r = 0; r < repeats; r++)
    {
        // Interleaved, so that load from other processes touches every method alike.
        results["http1"].Add(await HttpAsync(single, 1));
        results["copy1"].Add(await CopyAsync(single));
        results["http100"].Add(await HttpAsync(batched, 100));
        results["copy100"].Add(await CopyAsync(batched));
        Console.WriteLine($"repeat {r + 1}: http/1 {results["http1"][^1]:0} ev/s, copy {results["copy1"][^1]:0}; http/100 {results["http100"][^1]:0} ev/s, copy {results["copy100"][^1]:0}");
    }
    string Runs(string name) => string.Join(", ", results[name].Select(v => v.ToString("0", CultureInfo.InvariantCulture)));
    Console.WriteLine();
    Console.WriteLine("method                                   events/s   runs                ratio to COPY of the same rows");
    Console.WriteLine($"POST /api/feedback, 1 event/request      {Median(results["http1"]),8:0}   {Runs("http1"),-18}  {Median(results["http1"]) / Median(results["copy1"]),6:P1}");
    Console.WriteLine($"plain binary COPY of those {singleEvents,6} rows   {Median(results["copy1"]),8:0}   {Runs("copy1"),-18}");
    Console.WriteLine($"POST /api/feedback, 100 events/request  {Median(results["http100"]),8:0}   {Runs("http100"),-18}  {Median(results["http100"]) / Median(results["copy100"]),6:P1}");
    Console.WriteLine($"plain binary COPY of those {batchedEvents,6} rows   {Median(results["copy100"]),8:0}   {Runs("copy100"),-18}");
    return 0;
}
finally
{
    if (web is { HasExited: false })
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

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
