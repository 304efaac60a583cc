using System.Diagnostics;
using Evals.Benchmarks.Metrics.Generation;
using Evals.Benchmarks.Statistics;

// Scoring throughput of generation metrics (issue 13): ROUGE-L and corpus BLEU with a 1,000-round percentile bootstrap
// over N generated outputs (the 13 WMT22 en-zh systems' published outputs, cycled, against references A and B), the
// library (score or collect statistics once, resample numbers) against a straightforward implementation (every round
// re-tokenises and re-scores the items it draws). The straightforward side runs only --naive-rounds rounds and is
// scaled to the full count (its cost per round is constant), which the output says.
var items = Arg("--items", 10_000);
var rounds = Arg("--rounds", 1000);
var naiveRounds = Arg("--naive-rounds", 10);
var repeats = Arg("--repeats", 3);
var data = ArgText("--data", Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/datasets/wmt22_en_zh/txt"));

string[] Lines(string relative)
{
    var text = File.ReadAllText(Path.Combine(data, relative));
    return (text.EndsWith('\n') ? text[..^1] : text).Split('\n');
}
var refA = Lines("references/generaltest2022.en-zh.ref.A.zh");
var refB = Lines("references/generaltest2022.en-zh.ref.B.zh");
var systems = Directory.GetFiles(Path.Combine(data, "system-outputs"), "*.zh").Order(StringComparer.Ordinal).Select(f => Lines(Path.GetRelativePath(data, f))).ToArray();
var outputs = new string[items];
var references = new string[items][];
for (var i = 0; i < items; i++)
{
    var segment = i % refA.Length;
    outputs[i] = systems[i / refA.Length % systems.Length][segment];
    references[i] = [refA[segment], refB[segment]];
}
Console.WriteLine($"{items:N0} outputs ({systems.Length} WMT22 en-zh systems cycled, 2 references each), {rounds:N0} bootstrap rounds, " +
    $"straightforward side timed on {naiveRounds} rounds and scaled, {repeats} repeats, {Environment.ProcessorCount} cores");

var results = new Dictionary<string, List<double>>();
void Record(string name, double ms) { if (!results.TryGetValue(name, out var list)) results[name] = list = []; list.Add(ms); }
BootstrapInterval? bleuLibrary = null, rougeLibrary = null;
double naiveBleuMean = 0, naiveRougeMean = 0;
for (var repeat = 0; repeat < repeats; repeat++)
{
    var watch = Stopwatch.StartNew();
    var stats = new BleuStatistics[items];
    Parallel.For(0, items, i => stats[i] = CorpusBleu.Statistics(outputs[i], references[i]));
    bleuLibrary = CorpusBleu.Interval(stats, rounds, seed: 0);
    Record("bleu library", watch.Elapsed.TotalMilliseconds);

    watch.Restart();
    naiveBleuMean = NaiveRounds(naiveRounds, drawn => CorpusBleu.Score(drawn.Select(i => CorpusBleu.Statistics(outputs[i], references[i]))).Score);
    Record("bleu straightforward", watch.Elapsed.TotalMilliseconds * rounds / naiveRounds);

    watch.Restart();
    var rouge = new double[items];
    Parallel.For(0, items, i => rouge[i] = Rouge.Score(outputs[i], references[i]).RougeL);
    rougeLibrary = BootstrapMeanInterval.Compute(rouge, rounds, seed: 0);
    Record("rouge_l library", watch.Elapsed.TotalMilliseconds);

    watch.Restart();
    naiveRougeMean = NaiveRounds(naiveRounds, drawn => drawn.Average(i => Rouge.Score(outputs[i], references[i]).RougeL));
    Record("rouge_l straightforward", watch.Elapsed.TotalMilliseconds * rounds / naiveRounds);
}

double Median(List<double> values) { var s = values.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }
foreach (var metric in new[] { "bleu", "rouge_l" })
{
    var library = Median(results[$"{metric} library"]);
    var naive = Median(results[$"{metric} straightforward"]);
    Console.WriteLine($"{metric,-8} library {library,10:N0} ms   straightforward {naive,12:N0} ms (scaled)   ratio {naive / library,7:N1}x (goal >= 10x: {(naive / library >= 10 ? "met" : "MISSED")})");
}
Console.WriteLine($"bleu     {bleuLibrary!.Mean:F4} [{bleuLibrary.CiLow:F4}, {bleuLibrary.CiHigh:F4}] (library); mean of the straightforward rounds {naiveBleuMean:F4}");
Console.WriteLine($"rouge_l  {rougeLibrary!.Mean:F4} [{rougeLibrary.CiLow:F4}, {rougeLibrary.CiHigh:F4}] (library); mean of the straightforward rounds {naiveRougeMean:F4}");

// One thread, the same per-round streams as the library, every drawn item tokenised and scored again.
double NaiveRounds(int count, Func<int[], double> statistic)
{
    var values = new double[count];
    for (var r = 0; r < count; r++)
    {
        var rng = SeededRandom.ForStream(0, r);
        var drawn = new int[items];
        for (var i = 0; i < items; i++) drawn[i] = rng.NextInt(items);
        values[r] = statistic(drawn);
    }
    return values.Average();
}

int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
string ArgText(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
