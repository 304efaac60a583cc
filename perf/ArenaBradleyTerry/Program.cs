using System.Diagnostics;
using System.Globalization;
using Evals.Benchmarks.Ratings;
using Evals.Benchmarks.Statistics;

// Bradley–Terry with bootstrap intervals at arena scale (issue 6, "Benchmark (perf/)"): 1,000 bootstrap rounds over
// 100,000 synthetic battles among 50 models. The production path (BradleyTerry.Leaderboard: battles aggregated into
// (pair, outcome) counts, each round one multinomial draw over the counts, Newton from a warm start, rounds in parallel)
// against a straightforward single-threaded implementation in the same process (each round redraws 100,000 battles,
// rebuilds the win matrix and runs Hunter's MM iterations from scratch). Medians of the repeats.
var models = Arg("--models", 50);
var battleCount = Arg("--battles", 100_000);
var rounds = Arg("--rounds", 1000);
var repeats = Arg("--repeats", 3);
Console.WriteLine($"Bradley–Terry bootstrap: {models} models, {battleCount:N0} battles, {rounds:N0} rounds, {repeats} repeats, " +
                  $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");

var battles = Synthetic(models, battleCount, seed: 2026);
var production = new List<double>();
var productionOneThread = new List<double>();
var straightforward = new List<double>();
// CPU time too: on a shared machine the single-threaded runs' CPU time is stable where their wall time is not.
var productionCpu = new List<double>();
var productionOneThreadCpu = new List<double>();
var straightforwardCpu = new List<double>();
var process = Process.GetCurrentProcess();
BradleyTerryLeaderboard board = null!;
Dictionary<string, (double Rating, double Low, double High)> reference = null!;
for (var r = 0; r < repeats; r++)
{
    // Alternate the order so that neither side always runs on a warmer machine.
    foreach (var which in r % 2 == 0 ? new[] { 0, 1, 2 } : [2, 1, 0])
    {
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        switch (which)
        {
            case 0:
                board = BradleyTerry.Leaderboard(battles, rounds, seed: r);
                production.Add(watch.Elapsed.TotalSeconds);
                productionCpu.Add(CpuSince(process, cpu));
                break;
            case 1:
                BradleyTerry.Leaderboard(battles, rounds, seed: r, maxDegreeOfParallelism: 1);
                productionOneThread.Add(watch.Elapsed.TotalSeconds);
                productionOneThreadCpu.Add(CpuSince(process, cpu));
                break;
            default:
                reference = Straightforward.Leaderboard(battles, rounds, seed: r);
                straightforward.Add(watch.Elapsed.TotalSeconds);
                straightforwardCpu.Add(CpuSince(process, cpu));
                break;
        }
    }
}

var (p, p1, s) = (Median(production), Median(productionOneThread), Median(straightforward));
var (pc, p1c, sc) = (Median(productionCpu), Median(productionOneThreadCpu), Median(straightforwardCpu));
Console.WriteLine($"production (all cores)   wall {p,8:0.000} s   cpu {pc,8:0.000} s");
Console.WriteLine($"production (1 thread)    wall {p1,8:0.000} s   cpu {p1c,8:0.000} s");
Console.WriteLine($"straightforward (MM)     wall {s,8:0.000} s   cpu {sc,8:0.000} s");
Console.WriteLine($"ratio straightforward / production, wall: {s / p:0.0}× (production on 1 thread: {s / p1:0.0}×); single-threaded CPU time: {sc / p1c:0.0}×");
// The two must agree: the same MLE (to the MM tolerance), and intervals from different random draws within noise.
var pointGap = board.Rows.Max(row => Math.Abs(row.Rating - reference[row.Model].Rating));
var ciGap = board.Rows.Max(row => Math.Max(Math.Abs(row.CiLow - reference[row.Model].Low), Math.Abs(row.CiHigh - reference[row.Model].High)));
var meanWidth = board.Rows.Average(row => row.CiHigh - row.CiLow);
Console.WriteLine($"production: fit converged {board.Converged}, unconverged bootstrap rounds {board.UnconvergedRounds}; full fit {BradleyTerry.Fit(battles).Iterations} Newton iterations");
Console.WriteLine($"largest rating difference {pointGap:0.000000} points; largest CI-bound difference {ciGap:0.00} points (mean CI width {meanWidth:0.00})");
return pointGap < 1e-3 && ciGap < meanWidth / 2 ? 0 : 1;

static double CpuSince(Process process, TimeSpan start)
{
    process.Refresh();
    return (process.TotalProcessorTime - start).TotalSeconds;
}

static IReadOnlyList<Battle> Synthetic(int m, int n, int seed)
{
    var random = new Random(seed);
    var strength = Enumerable.Range(0, m).Select(_ => 1000 + 120 * Gaussian(random)).ToArray();
    var battles = new List<Battle>(n);
    for (var k = 0; k < n; k++)
    {
        var a = random.Next(m);
        var b = (a + 1 + random.Next(m - 1)) % m;
        var pA = 1 / (1 + Math.Pow(10, (strength[b] - strength[a]) / 400));
        var u = random.NextDouble();
        var winner = u < 0.08 ? BattleWinner.Tie : u < 0.12 ? BattleWinner.TieBothBad : random.NextDouble() < pA ? BattleWinner.ModelA : BattleWinner.ModelB;
        battles.Add(new Battle($"model-{a:00}", $"model-{b:00}", winner));
    }
    return battles;
}

static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

/// <summary>
/// The textbook way, single-threaded: each round draws the battles with System.Random, builds the win matrix (a tie is
/// half a win each way, FastChat's weighting), and fits by Hunter's (2004) MM iterations
/// γ_i ← W_i / Σ_j N_ij / (γ_i + γ_j) from all-equal strengths until no rating moves by 1e-6 points; ratings are
/// 400·log10 γ centred on 1000. Intervals are the 2.5th and 97.5th percentiles over rounds.
/// </summary>
static class Straightforward
{
    public static Dictionary<string, (double Rating, double Low, double High)> Leaderboard(IReadOnlyList<Battle> battles, int rounds, int seed)
    {
        var names = battles.SelectMany(b => new[] { b.ModelA, b.ModelB }).Distinct().Order(StringComparer.Ordinal).ToArray();
        var index = names.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i);
        var a = battles.Select(b => index[b.ModelA]).ToArray();
        var b = battles.Select(b => index[b.ModelB]).ToArray();
        var score = battles.Select(b => b.ScoreA).ToArray();
        var m = names.Length;
        var point = Fit(a, b, score, m, Enumerable.Range(0, battles.Count).ToArray());
        var random = new Random(seed);
        var samples = new double[m][];
        for (var i = 0; i < m; i++) samples[i] = new double[rounds];
        var draw = new int[battles.Count];
        for (var r = 0; r < rounds; r++)
        {
            for (var k = 0; k < draw.Length; k++) draw[k] = random.Next(draw.Length);
            var ratings = Fit(a, b, score, m, draw);
            for (var i = 0; i < m; i++) samples[i][r] = ratings[i];
        }
        var result = new Dictionary<string, (double, double, double)>();
        for (var i = 0; i < m; i++)
        {
            Array.Sort(samples[i]);
            result[names[i]] = (point[i], Quantile.OfSorted(samples[i], 0.025), Quantile.OfSorted(samples[i], 0.975));
        }
        return result;
    }

    private static double[] Fit(int[] a, int[] b, double[] score, int m, int[] draw)
    {
        var wins = new double[m];
        var games = new double[m, m];
        foreach (var k in draw)
        {
            wins[a[k]] += score[k];
            wins[b[k]] += 1 - score[k];
            games[a[k], b[k]]++;
            games[b[k], a[k]]++;
        }
        var gamma = Enumerable.Repeat(1.0, m).ToArray();
        var next = new double[m];
        var pointsPerLog = 400 / Math.Log(10);
        for (var iteration = 0; iteration < 100_000; iteration++)
        {
            for (var i = 0; i < m; i++)
            {
                var denominator = 0.0;
                for (var j = 0; j < m; j++)
                    if (j != i && games[i, j] > 0) denominator += games[i, j] / (gamma[i] + gamma[j]);
                next[i] = denominator > 0 ? wins[i] / denominator : gamma[i];
            }
            var logMean = next.Average(Math.Log);
            var largest = 0.0;
            for (var i = 0; i < m; i++)
            {
                var normalised = next[i] / Math.Exp(logMean);
                largest = Math.Max(largest, Math.Abs(Math.Log(normalised / gamma[i])) * pointsPerLog);
                gamma[i] = normalised;
            }
            if (largest < 1e-6) break;
        }
        return gamma.Select(g => pointsPerLog * Math.Log(g) + 1000).ToArray();
    }
}
