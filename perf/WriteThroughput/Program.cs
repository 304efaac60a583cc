using System.Globalization;
using Evals.WriteThroughput;

// Usage: WriteThroughput [--rows N] [--repeats N] [--insert-sample N] [--small-batch-sample N] [--psql PATH]
var options = BenchmarkOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: WriteThroughput [--rows N (100000)] [--repeats N (5)] [--insert-sample N (5000)] [--small-batch-sample N (20000)] [--psql PATH (/usr/bin/psql)]");
    return 2;
}
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // let the finally blocks stop the cluster and delete its folder
    cancel.Cancel();
};
try
{
    await Benchmark.RunAsync(options, cancel.Token);
    return 0;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    Console.Error.WriteLine($"benchmark failed: {e}");
    return 1;
}
