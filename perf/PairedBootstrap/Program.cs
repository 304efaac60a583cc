using System.Diagnostics;
using System.Globalization;
using Evals.Benchmarks.Statistics;

// Paired bootstrap, 10,000 resamples over 100,000 paired items (issue 7, "Benchmark (perf/)"): the library's
// PairedBootstrap.Compute against a straightforward single-threaded implementation in the same process, on accuracy-type
// scores (0/100, what the gate sees for accuracy tasks) and on graded scores (F1-like, every value distinct). Medians.
var items = Arg("--items", 100_000);
var rounds = Arg("--rounds", 10_000);
var repeats = Arg("--repeats", 5);
Console.WriteLine($"paired bootstrap: {items:N0} paired items, {rounds:N0} resamples, {repeats} repeats, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

foreach (var (workload, a, b) in new[] { Workload("accuracy (0/100)", binary: true), Workload("graded (0–100)", binary: false) })
{
    var library = new List<double>();
    var naive = new List<double>();
    (double Low, double High) libraryCi = default, naiveCi = default;
    for (var r = 0; r < repeats; r++)
    {
        // Alternate the order so that neither side always runs on a warmer machine.
        foreach (var first in r % 2 == 0 ? new[] { true, false } : [false, true])
        {
            var watch = Stopwatch.StartNew();
            if (first)
            {
                var result = PairedBootstrap.Compute(a, b, rounds, seed: r);
                libraryCi = (result.CiLow, result.CiHigh);
                library.Add(watch.Elapsed.TotalSeconds);
            }
            else
            {
                naiveCi = Straightforward(a, b, rounds, seed: r);
                naive.Add(watch.Elapsed.TotalSeconds);
            }
        }
    }
    var (l, n) = (Median(library), Median(naive));
    Console.WriteLine($"{workload,-18} library {l * 1000,9:0.0} ms   straightforward {n * 1000,9:0.0} ms   ratio {n / l,7:0.0}×   " +
                      $"95% CI library [{libraryCi.Low:0.000}, {libraryCi.High:0.000}] straightforward [{naiveCi.Low:0.000}, {naiveCi.High:0.000}]");
}
return 0;

// The textbook loop: for each round draw n indices with System.Random, average the differences, then take percentiles.
static (double Low, double High) Straightforward(double[] a, double[] b, int rounds, int seed)
{
    var random = new Random(seed);
    var n = a.Length;
    var means = new double[rounds];
    for (var r = 0; r < rounds; r++)
    {
        var sum = 0.0;
        for (var k = 0; k < n; k++)
        {
            var i = random.Next(n);
            sum += a[i] - b[i];
        }
        means[r] = sum / n;
    }
    Array.Sort(means);
    return (Quantile.OfSorted(means, 0.025), Quantile.OfSorted(means, 0.975));
}

(string, double[], double[]) Workload(string name, bool binary)
{
    var rng = new SeededRandom(42);
    var a = new double[items];
    var b = new double[items];
    for (var i = 0; i < items; i++)
    {
        if (binary)
        {
            b[i] = rng.NextDouble() < 0.70 ? 100 : 0;
            a[i] = rng.NextDouble() < 0.9 ? b[i] : 100 - b[i];
        }
        else
        {
            b[i] = rng.NextDouble() * 100;
            a[i] = Math.Clamp(b[i] + (rng.NextDouble() - 0.55) * 20, 0, 100);
        }
    }
    return (name, a, b);
}

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
