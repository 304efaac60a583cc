namespace Evals.WriteThroughput;

public sealed record BenchmarkOptions(int Rows = 100_000, int Repeats = 5, int InsertSample = 5_000, int SmallBatchSample = 20_000, string Psql = "/usr/bin/psql")
{
    public static BenchmarkOptions? Parse(string[] args)
    {
        var options = new BenchmarkOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--rows" when int.TryParse(value, out var n) && n >= 1_000:
                    options = options with { Rows = n };
                    break;
                case "--repeats" when int.TryParse(value, out var n) && n >= 1:
                    options = options with { Repeats = n };
                    break;
                case "--insert-sample" when int.TryParse(value, out var n) && n >= 1:
                    options = options with { InsertSample = n };
                    break;
                case "--small-batch-sample" when int.TryParse(value, out var n) && n >= 16:
                    options = options with { SmallBatchSample = n };
                    break;
                case "--psql" when !string.IsNullOrEmpty(value):
                    options = options with { Psql = value };
                    break;
                default:
                    return null;
            }
            i++;
        }
        return options with
        {
            InsertSample = Math.Min(options.InsertSample, options.Rows),
            SmallBatchSample = Math.Min(options.SmallBatchSample, options.Rows),
        };
    }
}
