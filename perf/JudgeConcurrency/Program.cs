using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Judged;
using Evals.Runner.Backends.OpenAiCompatible;
using Evals.Runner.Hallucination;
using Evals.Runner.Judging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Judged-run throughput (issue 14, "Benchmark"): MT-Bench-shaped two-turn items graded through the runner's own
// SingleGrading (the code a worker runs per item: the model answers turn 1, then turn 2 with the conversation, then the
// judge grades each turn), against one OpenAI-compatible loopback server that answers the model and the judge after a
// fixed latency L. Each item is 4 calls one after another, so C items in flight can at best finish C / (4 L) items/s.
// Measured at each concurrency C (items in flight = the model's and the judge's max_concurrency): items/s, its ratio to
// C / (4 L), and the judge calls in flight by the server's clock (time-weighted mean and maximum).
// Usage: Evals.JudgeConcurrency [--latency-ms 100] [--concurrency 1,32] [--waves 4] [--repeats 3]
var latencyMs = 100;
int[] levels = [1, 32];
var waves = 4;
var repeats = 3;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--latency-ms": latencyMs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--concurrency": levels = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
        case "--waves": waves = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--repeats": repeats = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
var app = builder.Build();
var clock = Stopwatch.StartNew();
var judgeSpans = new System.Collections.Concurrent.ConcurrentQueue<(TimeSpan Start, TimeSpan End)>();
app.MapPost("/{role}/v1/chat/completions", async (HttpContext context, string role) =>
{
    var start = clock.Elapsed;
    await JsonNode.ParseAsync(context.Request.Body);
    await Task.Delay(latencyMs);
    // The judge grades in FastChat's format; the model says the same short thing every turn.
    var content = role == "judge" ? "The answer is adequate.\n\nRating: [[7]]" : "这是一个简短的回答。";
    var reply = new JsonObject
    {
        ["id"] = "chatcmpl-1", ["object"] = "chat.completion", ["created"] = 0, ["model"] = role,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content }, ["finish_reason"] = "stop" }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 100, ["completion_tokens"] = 10, ["total_tokens"] = 110 },
    };
    context.Response.ContentType = "application/json";
    await context.Response.WriteAsync(reply.ToJsonString());
    if (role == "judge") judgeSpans.Enqueue((start, clock.Elapsed));
});
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

var manifest = JsonSerializer.Deserialize<TaskManifest>("""
    { "name": "writing", "kind": "judged_single", "files": { "test": "test.jsonl" }, "eval_split": "test", "metric": "judge_score",
      "answer_field": "reference", "template": "", "judge_prompt": "mt_bench_zh", "max_tokens": 64 }
    """, TaskManifest.Json)!;
var most = levels.Max() * waves;
var items = Enumerable.Range(1, most).Select(i => new TaskItem(i.ToString(CultureInfo.InvariantCulture), "test", i, JsonDocument.Parse(
    $$"""{"id": "{{i}}", "category": "writing", "turns": ["写一首关于第{{i}}个春天的短诗。", "把它改写成一句话。"]}""").RootElement)).ToList();
var task = new JudgedSingleTask("perf", manifest, items);
Console.WriteLine($"server {address}; latency {latencyMs} ms per call; 4 calls per item (2 answers, 2 gradings); {Environment.ProcessorCount} cores; median of {repeats}");

async Task<(double ItemsPerSecond, double MeanJudgeInFlight, int MaxJudgeInFlight)> MeasureAsync(int concurrency)
{
    await using var model = OpenAiCompatibleBackend.Create(ModelSpec.Parse($"openai:{address}/model/v1?model=model&max_concurrency={concurrency}&probe=false"));
    await using var judge = OpenAiCompatibleBackend.Create(ModelSpec.Parse($"openai:{address}/judge/v1?model=judge&max_concurrency={concurrency}&probe=false"));
    var grading = new SingleGrading(judge, new JudgeOptions());
    var chosen = items.Take(concurrency * waves).ToList();
    judgeSpans.Clear();
    var from = clock.Elapsed;
    await Parallel.ForEachAsync(chosen, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (item, ct) =>
    {
        var prepared = task.Prepare(item, 0);
        var request = new GenerateRequest(task.Context, item.Id, prepared.Prompt, [], new DecodingOptions(Temperature: 0, MaxTokens: 64), Messages: prepared.Messages);
        var graded = await grading.ScoreAsync(task, prepared, model, request, ct);
        if (graded.Verdict.Score != 70) throw new InvalidOperationException($"item {item.Id}: expected grade 7 on both turns, got {graded.Verdict.Parsed}");
    });
    var to = clock.Elapsed;
    var spans = judgeSpans.ToList();
    // Judge calls in flight: the time-weighted mean over the measurement, and the most at one moment.
    var busy = spans.Sum(s => (s.End - s.Start).TotalSeconds);
    var events = spans.SelectMany(s => new[] { (s.Start, 1), (s.End, -1) }).OrderBy(e => e.Item1).ThenBy(e => e.Item2);
    int now = 0, max = 0;
    foreach (var (_, step) in events) max = Math.Max(max, now += step);
    return (chosen.Count / (to - from).TotalSeconds, busy / (to - from).TotalSeconds, max);
}

static double Median(IEnumerable<double> source)
{
    var values = source.Order().ToList();
    return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
}

await MeasureAsync(Math.Min(8, levels.Max())); // warm-up: JIT, connections
Console.WriteLine("concurrency  items  items/s  ideal C/(4L)  ratio  judge calls in flight (mean, max)");
var rates = new Dictionary<int, double>();
foreach (var c in levels)
{
    var runs = new List<(double Rate, double Mean, int Max)>();
    for (var r = 0; r < repeats; r++) runs.Add(await MeasureAsync(c));
    var rate = Median(runs.Select(x => x.Rate));
    rates[c] = rate;
    var ideal = c / (4 * latencyMs / 1000.0);
    var goal = c == 32 ? (rate / ideal >= 0.9 ? "  (goal ≥ 90%: met)" : "  (goal ≥ 90%: NOT met)") : "";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{c,11}  {c * waves,5}  {rate,7:0.00}  {ideal,12:0.00}  {rate / ideal,5:P1}  {Median(runs.Select(x => x.Mean)),6:0.0}, {runs.Max(x => x.Max)}{goal}"));
}
if (levels.Contains(1) && levels.Contains(32))
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"32 vs 1: {rates[32] / rates[1]:0.0}× (ideal 32×; {rates[32] / rates[1] / 32:P1} of it)"));
await app.StopAsync();
return 0;
