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

// Usage: LeaderboardRender [--models 200] [--tasks 40] [--items 50] [--repeats 15] [--reference-repeats 1 (0: only the check)]
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = new Dictionary<string, int> { ["--models"] = 200, ["--tasks"] = 40, ["--items"] = 50, ["--repeats"] = 15, ["--reference-repeats"] = 1 };
for (var i = 0; i < args.Length; i++)
{
    if (!options.ContainsKey(args[i]) || i + 1 >= args.Length || !int.TryParse(args[i + 1], out var value) || value < (args[i] == "--reference-repeats" ? 0 : 1))
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
    var services = new ServiceCollection().AddStorage(connectionString).AddSingleton(new SuiteCatalog(datasets))
        .AddSingleton<Evals.Runner.Runs.RunSummaryQuery>().AddSingleton<LeaderboardQueries>()
        .BuildServiceProvider();
    var queries = services.GetRequiredService<LeaderboardQueries>();
    var filter = new LeaderboardFilter(Seeder.Suite);
    var tree = CapabilityTree.Load(datasets);

    // 1. The leaderboard's aggregation in process against the per-cell reference loop; every figure must agree. The
    // seeder writes runs as finished without a status change, so their counts are not stored yet: this computes every
    // row with one GROUP BY over the result rows (and stores the figures).
    var board = await queries.GetAsync(filter);
    var reference = await ReferenceLoop.BuildAsync(connectionString, Seeder.Suite, tree, CancellationToken.None);
    if (ReferenceLoop.FirstDifference(board, reference) is { } difference) throw new InvalidOperationException($"leaderboard (GROUP BY) and reference differ: {difference}");
    Console.WriteLine($"check: {board.Rows.Count} rows x {board.Tasks.Count} tasks, {board.Rows.Count(r => r.OlderVersion)} on the older version; every overall, score, CI and n equals the reference loop's");
    // The check above already ran the reference once (its warm-up): a run takes tens of seconds at full size.
    var loop = referenceRepeats == 0 ? double.NaN
        : await MedianAsync(referenceRepeats, () => ReferenceLoop.BuildAsync(connectionString, Seeder.Suite, tree, CancellationToken.None), warmUp: false);

    // 2. The real web process, for the page and the API over HTTP.
    var port = FreePort();
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
    info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Evals.Web.dll"));
    info.ArgumentList.Add("--urls");
    info.ArgumentList.Add($"http://127.0.0.1:{port}");
    info.Environment["ConnectionStrings__Evals"] = connectionString;
    info.Environment["Runner__Enabled"] = "false";
    info.Environment["Runner__Datasets"] = datasets;
    info.Environment["Evals__SeedSmokeRuns"] = "false";
    info.Environment["HeavyRequests__PerMinutePerAddress"] = "1000000";
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
    // 3. Since issue 22 a run's figures are stored (run_scores) when it succeeds or when the leaderboard first reads it.
    // The seeder writes runs as finished without a status change, so nothing is stored yet: time the first read (which
    // computes every row from the stored counts and stores it) with the stored rows dropped before each repetition,
    // then the reads of the stored rows, whose figures must still equal the reference loop's.
    await using (var db = Migrator.CreateContext(connectionString))
    {
        clock.Restart();
        await db.Database.ExecuteSqlRawAsync("select store_run_task_counts(id) from runs; update runs set task_counts_stored = true; analyze run_task_counts; analyze runs");
        Console.WriteLine($"stored the counts of {models} runs ({await db.Database.SqlQueryRaw<int>("select count(*)::int as \"Value\" from run_task_counts").SingleAsync():N0} rows) in {clock.Elapsed.TotalSeconds:0.0} s");
    }
    var firstRead = await MedianAsync(repeats, async () =>
    {
        await using (var db = Migrator.CreateContext(connectionString))
            await db.Database.ExecuteSqlRawAsync("truncate run_scores");
        var watch = Stopwatch.StartNew();
        await queries.GetAsync(filter);
        return watch.Elapsed.TotalMilliseconds;
    }, timed: false);
    await using (var db = Migrator.CreateContext(connectionString))
        await db.Database.ExecuteSqlRawAsync("analyze run_scores");
    var stored = await queries.GetAsync(filter);
    if (ReferenceLoop.FirstDifference(stored, reference) is { } storedDifference) throw new InvalidOperationException($"leaderboard (stored figures) and reference differ: {storedDifference}");
    Console.WriteLine("check: read back from run_scores, every overall, score, CI and n still equals the reference loop's");
    // The page shows one page of rows (issue 22): each page must be its slice of the whole view, ranks included.
    var pageFilter = filter with { Page = 1 };
    for (var p = 1; (p - 1) * pageFilter.PageSize < stored.Rows.Count; p++)
    {
        var paged = await queries.GetAsync(pageFilter with { Page = p });
        var slice = stored.Rows.Skip((p - 1) * pageFilter.PageSize).Take(pageFilter.PageSize).ToList();
        static object Figures(LeaderboardRow r) => (r.RunId, r.Rank, r.Overall, r.OverallCiLow, r.OverallCiHigh, r.Items,
            string.Join(';', r.Tasks.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")));
        if (paged.TotalRows != stored.Rows.Count || !paged.Rows.Select(Figures).SequenceEqual(slice.Select(Figures)))
            throw new InvalidOperationException($"page {p} is not its slice of the whole view");
    }
    Console.WriteLine($"check: each page of {pageFilter.PageSize} rows is its slice of the whole view (rows, ranks, figures)");
    var html = await http.GetStringAsync($"leaderboard?suite={Seeder.Suite}");
    if (!html.Contains(stored.Rows[0].Model, StringComparison.Ordinal) || !html.Contains("data-echarts-option", StringComparison.Ordinal))
        throw new InvalidOperationException("the page does not show the seeded leaderboard");
    var wholeHtml = await http.GetStringAsync($"leaderboard?suite={Seeder.Suite}&size={Math.Min(models, LeaderboardFilter.MaxPageSize)}");
    var after = await TimeAllAsync();
    // Where the query's time goes: the one read of the stored rows (SQL and transfer, then parsing the JSON text).
    var (readSql, readParse) = (new List<double>(), new List<double>());
    for (var i = 0; i <= repeats; i++) // the first is a warm-up
    {
        await using var db = Migrator.CreateContext(connectionString);
        var watch = Stopwatch.StartNew();
        var texts = await db.Database.SqlQueryRaw<string>("select scores::text as \"Value\" from run_scores").ToListAsync();
        var sql = watch.Elapsed.TotalMilliseconds;
        foreach (var text in texts) System.Text.Json.JsonDocument.Parse(text).Dispose();
        if (i == 0) continue;
        readSql.Add(sql);
        readParse.Add(watch.Elapsed.TotalMilliseconds - sql);
    }
    readSql.Sort();
    readParse.Sort();

    Console.WriteLine();
    Console.WriteLine($"| what ({models} models x {tasks} tasks, {models * tasks * items:N0} results; medians of {repeats}) | stored figures (run_scores) |");
    Console.WriteLine("|---|---:|");
    Console.WriteLine($"| page GET /leaderboard, server render over HTTP (first page of {pageFilter.PageSize} rows, {html.Length / 1024.0:0} KiB of HTML) | {after.Page:0} ms |");
    Console.WriteLine($"| its query: LeaderboardQueries.GetAsync in process, page 1 | {after.PageQuery:0} ms |");
    Console.WriteLine($"| page with every row on it (size={Math.Min(models, LeaderboardFilter.MaxPageSize)}, as before paging; {wholeHtml.Length / 1024.0:0} KiB of HTML) | {after.WholePage:0} ms |");
    Console.WriteLine($"| API GET /api/leaderboard over HTTP (every row) | {after.Api:0} ms |");
    Console.WriteLine($"| LeaderboardQueries.GetAsync in process, every row | {after.Query:0} ms |");
    Console.WriteLine($"| of which: reading the {models} stored rows (SQL, text) | {readSql[repeats / 2]:0} ms, parsing their JSON {readParse[repeats / 2]:0} ms |");
    Console.WriteLine($"| first read after the runs ended: GetAsync computing and storing all {models} rows | {firstRead:0} ms |");
    Console.WriteLine();
    Console.WriteLine($"page / its query: {after.Page / after.PageQuery:0.00}x; page / every-row query: {after.Page / after.Query:0.00}x (goal: page <= 300 ms and <= 1.2x its query)");
    if (!double.IsNaN(loop))
        Console.WriteLine($"reference: per-cell query loop ({models * tasks + models + 1:N0} queries, Summarise per cell) in process: {loop:0} ms ({referenceRepeats} runs); / page: {loop / after.Page:0.0}x");

    async Task<(double Page, double PageQuery, double WholePage, double Api, double Query)> TimeAllAsync() =>
        (await MedianAsync(repeats, () => http.GetStringAsync($"leaderboard?suite={Seeder.Suite}")),
         await MedianAsync(repeats, () => queries.GetAsync(pageFilter)),
         await MedianAsync(repeats, () => http.GetStringAsync($"leaderboard?suite={Seeder.Suite}&size={Math.Min(models, LeaderboardFilter.MaxPageSize)}")),
         await MedianAsync(repeats, () => http.GetStringAsync($"api/leaderboard?suite={Seeder.Suite}")),
         await MedianAsync(repeats, () => queries.GetAsync(filter)));
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

// timed: false — the action returns its own time in ms (to leave set-up out).
static async Task<double> MedianAsync<T>(int runs, Func<Task<T>> action, bool warmUp = true, bool timed = true)
{
    if (warmUp) await action(); // JIT, connection pool, plans
    var times = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        var value = await action();
        times.Add(timed ? watch.Elapsed.TotalMilliseconds : Convert.ToDouble(value, CultureInfo.InvariantCulture));
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
