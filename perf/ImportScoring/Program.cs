using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Statistics;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Import;

// Import and scoring throughput (issue 5, "Benchmark (perf/)"). Import: read every CLUE task of the shared sample
// with the `clue` folder format, plan the writes against the shipped manifests and render the JSON Lines (what
// `evals import clue` does before touching the disk and the database). Scoring: one million synthetic chat answers
// written as JSON Lines; "read" parses them into records, "score" extracts each answer, decides its outcome and
// aggregates accuracy with its bootstrap interval. Medians of --repeats runs.
var options = Args.Parse(args);
var shared = options.Get("--shared", Path.GetFullPath(Path.Combine(Repo.Root, "..", "shared", "datasets")));
var predictions = int.Parse(options.Get("--predictions", "1000000"));
var repeats = int.Parse(options.Get("--repeats", "5"));
var catalog = new SuiteCatalog(Path.Combine(Repo.Root, "datasets"));

var importTimes = new List<double>();
var imported = 0;
for (var r = 0; r < repeats + 1; r++)
{
    var watch = Stopwatch.StartNew();
    var result = ImportFormats.Get("clue").Read(shared);
    if (!result.Succeeded) throw new InvalidOperationException(string.Join('\n', result.Problems));
    var plan = ImportPlan.For(catalog.Manifests("clue"), result);
    var bytes = plan.Writes.Sum(w => (long)Encoding.UTF8.GetByteCount(w.JsonLines));
    watch.Stop();
    imported = result.ItemCount;
    if (r > 0) importTimes.Add(watch.Elapsed.TotalSeconds); // the first run warms the JIT
    Console.Error.WriteLine($"import run {r}: {result.ItemCount} items, {plan.Writes.Count} files, {bytes / 1e6:0.0} MB in {watch.Elapsed.TotalSeconds:0.000} s");
}

var file = Path.Combine(Path.GetTempPath(), $"evals-predictions-{Environment.ProcessId}.jsonl");
Synthetic.Write(file, predictions);
string[] letters = ["A", "B", "C", "D"];
string[] texts = ["上海", "北京", "广州", "深圳"];
var readTimes = new List<double>();
var scoreTimes = new List<double>();
double accuracy = 0;
for (var r = 0; r < repeats + 1; r++)
{
    var watch = Stopwatch.StartNew();
    var records = Synthetic.Read(file);
    var read = watch.Elapsed.TotalSeconds;
    watch.Restart();
    var values = new double[records.Count];
    var answered = 0;
    var outcomes = new int[5];
    foreach (var p in records)
    {
        var extraction = AnswerExtraction.Extract(p.Output, letters, texts);
        var outcome = extraction.Refused ? Outcome.Refused : extraction.Choice is { } c ? c == p.Answer ? Outcome.Correct : Outcome.Wrong : Outcome.Unparseable;
        outcomes[(int)outcome]++;
        if (outcome is Outcome.Correct or Outcome.Wrong) values[answered++] = outcome == Outcome.Correct ? 100 : 0;
    }
    var interval = BootstrapMeanInterval.Compute(values.AsSpan(0, answered), rounds: 1000, seed: 0);
    accuracy = interval.Mean;
    var score = watch.Elapsed.TotalSeconds;
    if (r > 0)
    {
        readTimes.Add(read);
        scoreTimes.Add(score);
    }
    Console.Error.WriteLine($"scoring run {r}: read {read:0.000} s, score {score:0.000} s; accuracy {interval.Mean:0.00} [{interval.CiLow:0.00}, {interval.CiHigh:0.00}], " +
        $"outcomes {string.Join(' ', outcomes)}");
}
File.Delete(file);

var importMedian = Median(importTimes);
var (readMedian, scoreMedian) = (Median(readTimes), Median(scoreTimes));
Console.WriteLine($"import (shared CLUE sample, {imported} items): median {importMedian:0.000} s = {imported / importMedian:N0} items/s");
Console.WriteLine($"read {predictions:N0} predictions: median {readMedian:0.000} s = {predictions / readMedian:N0} items/s");
Console.WriteLine($"score {predictions:N0} predictions (extraction + outcome + accuracy + bootstrap CI): median {scoreMedian:0.000} s = {predictions / scoreMedian:N0} items/s");
Console.WriteLine($"ratio scoring time / reading time: {scoreMedian / readMedian:0.00}");
Console.WriteLine($"({repeats} timed runs after one warm-up, {Environment.ProcessorCount} cores; accuracy of the synthetic set {accuracy:0.00})");
return 0;

static double Median(List<double> xs)
{
    var s = xs.Order().ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

internal sealed record Prediction(string Output, int Answer);

internal static class Synthetic
{
    // Shapes chat models answer in, from a bare letter to an explanation ending in a conclusion, and refusals.
    private static readonly string[] Shapes =
    [
        "{0}", "答案是{0}", "正确答案：{0}", "选{0}。", "（{0}）", "{0}. {1}", "{1}",
        "首先分析各选项。A项不对，C项也不对。综上所述，答案是{0}。", "我认为是{0}，因为{1}是首都。",
        "答案可能是{0}或{2}", "抱歉，我无法回答这个问题。", "这个问题需要更多信息。",
    ];

    public static void Write(string path, int count)
    {
        var rng = new SeededRandom(42);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        string[] texts = ["上海", "北京", "广州", "深圳"];
        for (var i = 0; i < count; i++)
        {
            var gold = rng.NextInt(4);
            var said = rng.NextDouble() < 0.6 ? gold : rng.NextInt(4);
            var output = string.Format(Shapes[rng.NextInt(Shapes.Length)], (char)('A' + said), texts[said], (char)('A' + (said + 1) % 4));
            writer.Write(JsonSerializer.Serialize(new { id = i, output, answer = gold }, Json));
            writer.Write('\n');
        }
    }

    public static List<Prediction> Read(string path)
    {
        var list = new List<Prediction>();
        foreach (var line in File.ReadLines(path))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            list.Add(new Prediction(root.GetProperty("output").GetString()!, root.GetProperty("answer").GetInt32()));
        }
        return list;
    }

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

internal static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Evals.sln"))) return dir.FullName;
        throw new InvalidOperationException("no Evals.sln above the working directory");
    }
}

internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            values[args[i]] = args[i + 1];
        }
        return new Args(values);
    }

    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
}
