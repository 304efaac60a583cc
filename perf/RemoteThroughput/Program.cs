using System.Diagnostics;
using System.Globalization;
using System.Text;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.OpenAiCompatible;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Evaluation throughput of the openai: backend against an OpenAI-compatible server on loopback that answers at once,
// compared with the same server's own maximum request rate measured by a plain HttpClient load loop in the same run.
// Beside the rates it prints the process's CPU time and managed allocations per request (server and client together,
// for both sides alike): on a shared machine the rates swing with other load, the CPU cost per request much less.
// With --latency-ms L1,L2 it also measures the whole `evals run` process (a private PostgreSQL, a generated exam of
// --subjects subjects × --items-per-subject items, as C-Eval's many small subjects) against the same server answering
// after L ms, at --pipeline-concurrency C: items/s by the server's own clock against C/L, the most a run could reach.
// Usage: Evals.RemoteThroughput [--seconds S] [--repeats N] [--concurrency 1,8,32,64] [--latency-ms 50,200]
//        [--pipeline-concurrency 32] [--subjects 52] [--items-per-subject 26] [--skip-instant]
var seconds = 3.0;
var repeats = 3;
int[] levels = [1, 8, 32, 64];
int[] latencies = [];
var pipelineConcurrency = 32;
var subjects = 52;
var itemsPerSubject = 26;
var skipInstant = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--repeats": repeats = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--concurrency": levels = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
        case "--latency-ms": latencies = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
        case "--pipeline-concurrency": pipelineConcurrency = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--subjects": subjects = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--items-per-subject": itemsPerSubject = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--skip-instant": skipInstant = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
var app = builder.Build();
// The same bytes for every request: the server does no work beyond reading the request and writing the answer.
var answer = Encoding.UTF8.GetBytes("""{"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"instant","choices":[{"index":0,"message":{"role":"assistant","content":"A"},"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":1,"total_tokens":41}}""");
app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    // Read the body as a real server must.
    await context.Request.Body.CopyToAsync(Stream.Null);
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = answer.Length;
    await context.Response.Body.WriteAsync(answer);
});
// The same answer after a fixed latency, with each request's start and end on the server's clock.
var serverClock = Stopwatch.StartNew();
var spans = new System.Collections.Concurrent.ConcurrentQueue<(TimeSpan Start, TimeSpan End)>();
app.MapPost("/lat/{ms:int}/v1/chat/completions", async (HttpContext context, int ms) =>
{
    var start = serverClock.Elapsed;
    await context.Request.Body.CopyToAsync(Stream.Null);
    await Task.Delay(ms);
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = answer.Length;
    await context.Response.Body.WriteAsync(answer);
    spans.Enqueue((start, serverClock.Elapsed));
});
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
var prompt = "以下是中国关于常识的单项选择题，请选出其中的正确答案。\n问题：太阳从哪个方向升起？\nA. 东\nB. 西\nC. 南\nD. 北\n答案：";
var requestBody = $$"""{"model":"instant","messages":[{"role":"user","content":"{{prompt.Replace("\n", "\\n")}}"}],"temperature":0,"max_tokens":256,"stop":["\n"]}""";

Console.WriteLine($"server {address}; {Environment.ProcessorCount} cores; {seconds:0.#} s per measurement, median of {repeats}");

// The reference: as many requests as a plain HttpClient loop at 64 in flight gets out of the server.
async Task<Measurement> ServerMaxAsync() => await MeasureAsync(async () =>
{
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 });
    long done = 0;
    var watch = Stopwatch.StartNew();
    var until = TimeSpan.FromSeconds(seconds);
    await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
    {
        while (watch.Elapsed < until)
        {
            using var content = new StringContent(requestBody, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync($"{address}/v1/chat/completions", content);
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            Interlocked.Increment(ref done);
        }
    }));
    return (done, watch.Elapsed);
});

// Items through the backend as the job drives it: a bounded parallel loop, one GenerateAsync per item.
async Task<Measurement> BackendAsync(int concurrency) => await MeasureAsync(async () =>
{
    await using var backend = OpenAiCompatibleBackend.Create(ModelSpec.Parse($"openai:{address}/v1?model=instant&max_concurrency={concurrency}&probe=false"));
    var request = new GenerateRequest(new TaskContext("perf/instant", null), "i", prompt, ["\n"], new DecodingOptions());
    long done = 0;
    var watch = Stopwatch.StartNew();
    var until = TimeSpan.FromSeconds(seconds);
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (watch.Elapsed < until)
        {
            var generation = await backend.GenerateAsync(request);
            if (generation.Text != "A") throw new InvalidOperationException($"unexpected answer '{generation.Text}'");
            Interlocked.Increment(ref done);
        }
    }));
    return (done, watch.Elapsed);
});

async Task<Measurement> MeasureAsync(Func<Task<(long Done, TimeSpan Elapsed)>> work)
{
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var allocated = GC.GetTotalAllocatedBytes();
    var (done, elapsed) = await work();
    process.Refresh();
    return new Measurement(done / elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMicroseconds / done, (GC.GetTotalAllocatedBytes() - allocated) / (double)done);
}

static double Median(IEnumerable<double> source)
{
    var values = source.ToList();
    values.Sort();
    return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
}

if (latencies.Length > 0) await PipelineAsync();
if (skipInstant)
{
    await app.StopAsync();
    return 0;
}

// Warm up both paths (JIT, connections) before measuring.
var saved = seconds;
seconds = 1;
await ServerMaxAsync();
await BackendAsync(8);
seconds = saved;

var serverRuns = new List<Measurement>();
var backendRuns = levels.ToDictionary(c => c, _ => new List<Measurement>());
for (var r = 0; r < repeats; r++)
{
    // Interleaved, so that drift (thermal, other load) touches both sides alike.
    serverRuns.Add(await ServerMaxAsync());
    foreach (var c in levels) backendRuns[c].Add(await BackendAsync(c));
}
var max = Median(serverRuns.Select(m => m.Rate));
var referenceCpu = Median(serverRuns.Select(m => m.CpuUsPerRequest));
Console.WriteLine($"server's own maximum (plain HttpClient loop, 64 in flight): {max:0} requests/s (runs: {string.Join(", ", serverRuns.Select(v => v.Rate.ToString("0", CultureInfo.InvariantCulture)))}); " +
    $"{referenceCpu:0} µs CPU and {Median(serverRuns.Select(m => m.BytesPerRequest)) / 1024:0.0} KiB allocated per request");
Console.WriteLine("concurrency  items/s  ratio to server max  CPU µs/item  KiB/item  CPU ratio (reference µs / item µs)");
foreach (var c in levels)
{
    var median = Median(backendRuns[c].Select(m => m.Rate));
    var cpu = Median(backendRuns[c].Select(m => m.CpuUsPerRequest));
    var bytes = Median(backendRuns[c].Select(m => m.BytesPerRequest));
    Console.WriteLine($"{c,11}  {median,7:0}  {median / max,19:P1}  {cpu,11:0}  {bytes / 1024,8:0.0}  {referenceCpu / cpu,6:P1}" +
        (c == 32 ? (median / max >= 0.85 ? "  (goal ≥ 85%: met)" : "  (goal ≥ 85%: NOT met)") : ""));
}
await app.StopAsync();
return 0;

// The whole CLI process as a user runs it: `evals run --model openai:… --suite exam --mode generate --no-cache --wait`.
async Task PipelineAsync()
{
    var root = Directory.CreateTempSubdirectory("evals-perf-pipeline-").FullName;
    var datasets = Path.Combine(root, "datasets");
    for (var t = 0; t < subjects; t++)
    {
        var folder = Path.Combine(datasets, "exam", $"subject{t:D2}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "task.json"), $$"""
            { "name": "subject{{t:D2}}", "kind": "multiple_choice", "files": { "test": "test.jsonl" }, "choices_field": "choices",
              "answer_field": "answer", "template": "科目{{t}}：{question}\n{choices}\n答案：" }
            """);
        File.WriteAllLines(Path.Combine(folder, "test.jsonl"), Enumerable.Range(1, itemsPerSubject).Select(i =>
            $$"""{"id": "s{{t}}n{{i}}", "question": "{{i}} 加 {{t}} 等于几？", "choices": ["{{i + t}}", "{{i + t + 1}}", "{{i}}", "{{i - 1}}"], "answer": "A"}"""));
    }
    var postgres = Evals.Storage.Embedded.LocalPostgres.Create(new Evals.Storage.Embedded.LocalPostgresOptions(root, PreferredPort: 0, Durable: false, Database: "postgres"));
    await postgres.EnsureRunningAsync();
    var runner = Path.Combine(AppContext.BaseDirectory, "Evals.Runner.dll");
    var items = subjects * itemsPerSubject;
    Console.WriteLine($"pipeline: `evals run` over {subjects} subjects × {itemsPerSubject} items = {items} items, max_concurrency={pipelineConcurrency}, median of {repeats}");
    Console.WriteLine("latency ms  items/s (server clock)  C/L  ratio  process wall s  mean in flight");
    try
    {
        foreach (var latency in latencies)
        {
            var runs = new List<(double Rate, double Wall, double InFlight)>();
            for (var r = 0; r < repeats; r++)
            {
                spans.Clear();
                var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var arg in new[] { runner, "run", "--model", $"openai:{address}/lat/{latency}/v1?model=instant&max_concurrency={pipelineConcurrency}&probe=false",
                             "--suite", "exam", "--mode", "generate", "--no-cache", "--wait" })
                    info.ArgumentList.Add(arg);
                info.Environment["ConnectionStrings__Evals"] = postgres.ConnectionString("postgres");
                info.Environment["Runner__Datasets"] = datasets;
                var wall = Stopwatch.StartNew();
                using var process = Process.Start(info)!;
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                wall.Stop();
                if (process.ExitCode != 0) throw new InvalidOperationException($"evals run exited {process.ExitCode}: {await stderr}\n{await stdout}");
                var done = spans.ToArray();
                if (done.Length != items) throw new InvalidOperationException($"{done.Length} requests for {items} items");
                var span = (done.Max(x => x.End) - done.Min(x => x.Start)).TotalSeconds;
                runs.Add((items / span, wall.Elapsed.TotalSeconds, done.Sum(x => (x.End - x.Start).TotalSeconds) / span));
            }
            var rate = Median(runs.Select(x => x.Rate));
            var ideal = pipelineConcurrency * 1000.0 / latency;
            Console.WriteLine($"{latency,10}  {rate,21:0.0}  {ideal,3:0}  {rate / ideal,5:P1}  {Median(runs.Select(x => x.Wall)),14:0.0}  {Median(runs.Select(x => x.InFlight)),14:0.0}" +
                (rate / ideal >= 0.9 ? "  (goal ≥ 0.9: met)" : "  (goal ≥ 0.9: NOT met)") +
                $"   runs: {string.Join(", ", runs.Select(x => x.Rate.ToString("0.0", CultureInfo.InvariantCulture)))}");
        }
    }
    finally
    {
        await postgres.StopAsync(immediate: true);
    }
}

internal sealed record Measurement(double Rate, double CpuUsPerRequest, double BytesPerRequest);
