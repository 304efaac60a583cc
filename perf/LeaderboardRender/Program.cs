using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Evals.Benchmarks.Suites;
using Evals.LeaderboardRender;
using Evals.Storage;
using Evals.Storage.Embedded;
using Evals.Runner.Leaderboards;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

// Usage: LeaderboardRender [--models 200] [--tasks 40] [--items 50] [--repeats 15] [--reference-repeats 3]
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = new Dictionary<string, int> { ["--models"] = 200, ["--tasks"] = 40, ["--items"] = 50, ["--repeats"] = 15, ["--reference-repeats"] = 3 };
for (var i = 0; i < args.Length; i++)
{
    if (!options.ContainsKey(args[i]) || i + 1 >= args.Length || !int.TryParse(args[i + 1], out var value) || value < 1)
    {
        Console.Error.WriteLine($"usage: LeaderboardRender {string.Join(' ', options.Select(o => $"[{o.Key} N ({o.Value})]"))}; bad argument '{args[i]}'");
        return 2;
    }
    options[args[i++]] = value;
}
var (models, tasks, items, repeats, referenceRepeats) = (options["--models"], options["--tasks"], options["--items"], options["--repeats"], options["--reference-repeats"]);

var root = Path.Combine(Path.GetTempPath(), $"evals-perf-{Guid.NewGuid():N}");
var cluster = LocalPostgres.Create(new LocalPostgresOptions(root, PreferredPort: FreePort(), Durable: false, Database: "evals_perf"));
Process? web = null;
Console.WriteLine($"Evals leaderboard render benchmark, {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
try
{
    var connectionString = await cluster.EnsureRunningAsync();
    await Migrator.MigrateAsync(connectionString);
    var clock = Stopwatch.StartNew();
    await Seeder.SeedAsync(connectionString, models, tasks, items, CancellationToken.None);
    await using (var db = Migrator.CreateContext(connectionString))
        await db.Database.ExecuteSqlRawAsync("analyze");
    Console.WriteLine($"seeded {models} models x {tasks} tasks x {items} items = {models * tasks * items:N0} results (real ResultWriter) in {clock.Elapsed.TotalSeconds:0.0} s");

    var datasets = SuiteCatalog.FindDatasetsRoot(null);
    var services = new ServiceCollection().AddStorage(connectionString).AddSingleton(new SuiteCatalog(datasets)).AddSingleton<LeaderboardQueries>()
        .BuildServiceProvider();
    var queries = services.GetRequiredService<LeaderboardQueries>();
    var filter = new LeaderboardFilter(Seeder.Suite);
    var tree = CapabilityTree.Load(datasets);

    // 1. The leaderboard's aggregation in process against the per-cell reference loop; every figure must agree.
    var board = await queries.GetAsync(filter);
    var reference = await ReferenceLoop.BuildAsync(connectionString, Seeder.Suite, tree, CancellationToken.None);
    if (ReferenceLoop.FirstDifference(board, reference) is { } difference) throw new InvalidOperationException($"leaderboard and reference differ: {difference}");
    Console.WriteLine($"check: {board.Rows.Count} rows x {board.Tasks.Count} tasks, {board.Rows.Count(r => r.OlderVersion)} on the older version; every overall, score, CI and n equals the reference loop's");
    var query = await MedianAsync(repeats, () => queries.GetAsync(filter));
    // The check above already ran the reference once (its warm-up): a run takes tens of seconds at full size.
    var loop = await MedianAsync(referenceRepeats, () => ReferenceLoop.BuildAsync(connectionString, Seeder.Suite, tree, CancellationToken.None), warmUp: false);

    // 2. The page and the API over HTTP from the real web process.
    var port = FreePort();
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
    info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Evals.Web.dll"));
    info.ArgumentList.Add("--urls");
    info.ArgumentList.Add($"http://127.0.0.1:{port}");
    info.Environment["ConnectionStrings__Evals"] = connectionString;
    info.Environment["Runner__Enabled"] = "false";
    info.Environment["Runner__Datasets"] = datasets;
    info.Environment["Evals__SeedSmokeRuns"] = "false";
    info.Environment["Logging__LogLevel__Default"] = "Warning";
    web = Process.Start(info)!;
    web.OutputDataReceived += (_, _) => { };
    web.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"web: {e.Data}"); };
    web.BeginOutputReadLine();
    web.BeginErrorReadLine();
    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(2) };
    var started = Stopwatch.StartNew();
    while (true)
    {
        try
        {
            if ((await http.GetAsync("healthz")).IsSuccessStatusCode) break;
        }
        catch (HttpRequestException)
        {
        }
        if (started.Elapsed > TimeSpan.FromSeconds(90) || web.HasExited) throw new InvalidOperationException("the web app did not become healthy");
        await Task.Delay(250);
    }
    var html = await http.GetStringAsync($"leaderboard?suite={Seeder.Suite}");
    if (!html.Contains("model-000", StringComparison.Ordinal) || !html.Contains("data-echarts-option", StringComparison.Ordinal))
        throw new InvalidOperationException("the page does not show the seeded leaderboard");
    var page = await MedianAsync(repeats, () => http.GetStringAsync($"leaderboard?suite={Seeder.Suite}"));
    var api = await MedianAsync(repeats, () => http.GetStringAsync($"api/leaderboard?suite={Seeder.Suite}"));

    Console.WriteLine();
    Console.WriteLine($"| what ({models} models x {tasks} tasks, {models * tasks * items:N0} results) | median | runs |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine($"| page GET /leaderboard, server render over HTTP ({html.Length / 1024.0:0} KiB of HTML) | {page:0} ms | {repeats} |");
    Console.WriteLine($"| API GET /api/leaderboard over HTTP | {api:0} ms | {repeats} |");
    Console.WriteLine($"| LeaderboardQueries.GetAsync in process (5 queries, SQL GROUP BY) | {query:0} ms | {repeats} |");
    Console.WriteLine($"| reference: per-cell query loop ({models * tasks + models + 1:N0} queries, Summarise per cell) in process | {loop:0} ms | {referenceRepeats} |");
    Console.WriteLine();
    Console.WriteLine($"ratio reference loop / whole page over HTTP: {loop / page:0.0}x; reference loop / leaderboard query: {loop / query:0.0}x");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"benchmark failed: {e}");
    return 1;
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
        Console.Error.WriteLine($"clean-up: {e.Message}");
    }
}

static async Task<double> MedianAsync<T>(int runs, Func<Task<T>> action, bool warmUp = true)
{
    if (warmUp) await action(); // JIT, connection pool, plans
    var times = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        await action();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
