using System.Globalization;
using Evals.OnnxThroughput;

var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
try
{
    await Benchmark.RunAsync(options);
    return 0;
}
catch (BenchmarkSetupException e)
{
    Console.Error.WriteLine($"benchmark cannot run: {e.Message}");
    return 1;
}
catch (Exception e)
{
    Console.Error.WriteLine($"benchmark failed: {e}");
    return 1;
}
