using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Models;
using Evals.Perf;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Storage;
using Evals.Storage.Embedded;
using Evals.Storage.Entities;

// /v1 at many concurrent clients (issue 16, benchmark (c)): generated tokens/s through the real POST /v1/completions of
// the web app (its own process) serving an in-process onnx: model, for one client at a time against 32 clients at once.
// Concurrent requests meet in the engine's dynamic batcher (EngineQueue: calls arriving within batch_window_ms join one
// batch) and share forward passes. Greedy decoding, so every answer can be checked against the same prompt's answer
// from the one-client phase.
// Usage: Evals.V1Concurrency [--clients N (32)] [--requests N per client (2)] [--tokens N (64)] [--repeats N (3)]
//                            [--hidden N (256)] [--layers N (4)] [--vocab N (8192)] [--threads N (cores)] [--batch-items N (32)]
//                            [--web 0 (the in-process engine only)]
var clients = 32;
var requestsPerClient = 2;
var maxTokens = 64;
var repeats = 3;
var hidden = 256;
var layers = 4;
var vocab = 8192;
var threads = Environment.ProcessorCount;
var batchItems = 32;
var throughWeb = true;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 0;
    switch (args[i])
    {
        case "--clients": clients = value; break;
        case "--requests": requestsPerClient = value; break;
        case "--tokens": maxTokens = value; break;
        case "--repeats": repeats = value; break;
        case "--hidden": hidden = value; break;
        case "--layers": layers = value; break;
        case "--vocab": vocab = value; break;
        case "--threads": threads = value; break;
        case "--batch-items": batchItems = value; break;
        case "--web": throughWeb = value != 0; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
    i++;
}

var root = Path.Combine(Path.GetTempPath(), $"evals-perf-v1-{Guid.NewGuid():N}");
var modelFolder = Path.Combine(root, "model");
var cluster = LocalPostgres.Create(new LocalPostgresOptions(Path.Combine(root, "pg"), PreferredPort: WebNodes.FreePort(), Durable: true, Database: "evals_perf"));
Process? web = null;
try
{
    var config = TinyModelWriter.Write(modelFolder, seed: 2026, config: new TinyModelConfig(VocabSize: vocab, Hidden: hidden, Layers: layers, Heads: 4, KvHeads: 2,
        Intermediate: hidden * 3, MaxPositions: 1024));
    var connectionString = await cluster.EnsureRunningAsync();
    await Migrator.MigrateAsync(connectionString);
    var key = ApiKey.NewKey();
    var spec = $"onnx:{modelFolder}?threads={threads}&batch_items={batchItems}";
    await using (var db = Migrator.CreateContext(connectionString))
    {
        db.ApiKeys.Add(new ApiKey { Id = Guid.NewGuid(), Name = "perf", Scope = "v1", Hash = ApiKey.HashOf(key), Prefix = key[..10], RequestsPerMinute = 100_000_000 });
        db.Models.Add(new Model { Id = Guid.NewGuid(), Name = "tiny", Kind = "onnx", Spec = spec, CreatedAt = TimeProvider.System.GetUtcNow() });
        await db.SaveChangesAsync();
    }
    var port = WebNodes.FreePort();
    web = WebNodes.Start(connectionString, port);
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(10) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    await WebNodes.WaitHealthyAsync(http.BaseAddress!, web, TimeSpan.FromSeconds(120));
    Console.WriteLine($"Evals /v1 concurrency benchmark, {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores, load average {LoadAverage()}, .NET {Environment.Version}");
    Console.WriteLine($"model {spec}: {config.Layers} layers, hidden {config.Hidden}, vocab {config.VocabSize}; POST /v1/completions, temperature 0, max_tokens {maxTokens}; "
        + $"{clients} clients × {requestsPerClient} requests against the same {clients * requestsPerClient} requests from one client; median of {repeats}");

    // Prompts of 8–120 words, different per request, so the batch mixes lengths as real traffic does.
    var random = new Random(16);
    string[] words = ["长江", "黄河", "数学", "历史", "the", "model", "answer", "question", "城市", "科学", "why", "because"];
    var prompts = Enumerable.Range(0, clients * requestsPerClient)
        .Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(8, 120)).Select(_ => words[random.Next(words.Length)]))).ToArray();

    async Task<(string Text, int Tokens)> CompleteAsync(string prompt)
    {
        var body = JsonSerializer.Serialize(new { model = "tiny", prompt, max_tokens = maxTokens, temperature = 0 });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("v1/completions", content);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        return (json.RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!,
            json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    // Warm-up: the model loads on the first request; JIT and ORT's arena growth are not what is measured.
    if (throughWeb) await CompleteAsync(prompts[0]);
    if (throughWeb) await Task.WhenAll(prompts.Take(clients).Select(CompleteAsync));

    // The prompts one after another, then from all clients at once (each takes the next prompt when its answer is in);
    // answers in prompt order, with generated tokens/s.
    async Task<((string Text, int Tokens)[] Answers, double Rate)> OneClientAsync(Func<string, Task<(string Text, int Tokens)>> complete)
    {
        var watch = Stopwatch.StartNew();
        var answers = new (string Text, int Tokens)[prompts.Length];
        for (var i = 0; i < prompts.Length; i++) answers[i] = await complete(prompts[i]);
        return (answers, answers.Sum(a => a.Tokens) / watch.Elapsed.TotalSeconds);
    }
    async Task<((string Text, int Tokens)[] Answers, double Rate)> ClientsAsync(Func<string, Task<(string Text, int Tokens)>> complete)
    {
        var watch = Stopwatch.StartNew();
        var answers = new (string Text, int Tokens)[prompts.Length];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < prompts.Length) answers[index] = await complete(prompts[index]);
        }));
        return (answers, answers.Sum(a => a.Tokens) / watch.Elapsed.TotalSeconds);
    }

    var one = new List<double>();
    var many = new List<double>();
    var same = true;
    for (var r = 0; r < (throughWeb ? repeats : 0); r++)
    {
        var (alone, oneRate) = await OneClientAsync(CompleteAsync);
        one.Add(oneRate);
        var (together, manyRate) = await ClientsAsync(CompleteAsync);
        many.Add(manyRate);
        for (var i = 0; i < prompts.Length; i++) same &= alone[i] == together[i];
        Console.WriteLine($"  repeat {r + 1}: 1 client {one[^1]:F0} tokens/s, {clients} clients {many[^1]:F0} tokens/s ({alone.Sum(a => a.Tokens)} tokens; load {LoadAverage()})");
    }
    if (throughWeb) Console.WriteLine($"generated tokens/s, median: 1 client {Median(one):F0}, {clients} clients {Median(many):F0}, ratio {Median(many) / Median(one):F2}× "
        + $"(answers identical to the one-client answers: {(same ? "yes" : "NO")})");

    // The same requests and clients straight into the engine (no HTTP, no web process), so the two can be told apart.
    await using (var engine = OnnxBackend.Create(ModelSpec.Parse(spec)))
    {
        async Task<(string Text, int Tokens)> DirectAsync(string prompt)
        {
            var done = await engine.CompleteAsync(new TextCompletionRequest(prompt, [], new DecodingOptions(Temperature: 0, MaxTokens: maxTokens), Echo: false, Logprobs: null));
            return (done.Text, done.CompletionTokens);
        }
        await DirectAsync(prompts[0]);
        var (_, oneRate) = await OneClientAsync(DirectAsync);
        var before = engine.Description;
        var (_, manyRate) = await ClientsAsync(DirectAsync);
        Console.WriteLine($"in-process engine, same requests: 1 client {oneRate:F0} tokens/s, {clients} clients {manyRate:F0} tokens/s, ratio {manyRate / oneRate:F2}× (load {LoadAverage()})");
        Console.WriteLine($"  after 1 client: {before}");
        Console.WriteLine($"  after {clients} clients: {engine.Description}");
    }
    return same ? 0 : 1;
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

static string LoadAverage()
{
    try
    {
        return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }
    catch (IOException)
    {
        return "?";
    }
}
