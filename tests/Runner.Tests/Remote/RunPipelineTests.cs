using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Remote;

/// <summary>
/// The run pipeline keeps <c>max_concurrency</c> requests in flight across batches and tasks (an exam of many small
/// subjects, as C-Eval is), measured by the loopback server's own clock, and a cancel stops new requests within one
/// commit interval.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class RunPipelineTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(200);
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A suite <paramref name="suite"/> of <paramref name="tasks"/> subjects with <paramref name="items"/> items each.</summary>
    private static string WriteExam(string suite, int tasks, int items)
    {
        var root = Directory.CreateTempSubdirectory("evals-pipeline-").FullName;
        for (var t = 0; t < tasks; t++)
        {
            var folder = Path.Combine(root, suite, $"subject{t:D2}");
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "task.json"), $$"""
                { "name": "subject{{t:D2}}", "kind": "multiple_choice", "files": { "test": "test.jsonl" }, "choices_field": "choices",
                  "answer_field": "answer", "template": "科目{{t}}：{question}\n{choices}\n答案：" }
                """);
            File.WriteAllLines(Path.Combine(folder, "test.jsonl"), Enumerable.Range(1, items).Select(i =>
                $$"""{"id": "s{{t}}n{{i:D4}}", "question": "{{i}} 加 {{t}} 等于几？", "choices": ["{{i + t}}", "{{i + t + 1}}", "{{i}}", "{{i - 1}}"], "answer": "A"}"""));
        }
        return root;
    }

    private Dictionary<string, string> Environment(string datasets, int commitIntervalMs = 1000)
    {
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        env["Runner__CommitIntervalMs"] = commitIntervalMs.ToString();
        return env;
    }

    private string Spec(int concurrency) => $"openai:{_server.BaseUrl}?model=fake&max_concurrency={concurrency}&timeout_s=30";

    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    public async Task Concurrency_requests_stay_in_flight_across_batches_and_tasks(int concurrency)
    {
        // 20 rounds of the concurrency over subjects of 40 items: a batch-by-batch job (16 at a time, waiting for each
        // batch's slowest item) would hold at most 16 in flight and pay a full latency per batch.
        var items = concurrency * 20;
        var datasets = WriteExam($"pipe{concurrency}", tasks: items / 40, items: 40);
        _server.Latency = Latency;
        _server.Reset();
        var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "run.json");
        var run = await CliProcess.RunAsync(Environment(datasets), TimeSpan.FromMinutes(3), "run", "--model", Spec(concurrency),
            "--suite", $"pipe{concurrency}", "--mode", "generate", "--no-cache", "--wait", "--json", json);
        Assert.True(run.ExitCode == 0, run.ToString());

        var spans = _server.Spans;
        Assert.Equal(items, spans.Count);
        Assert.Equal(concurrency, _server.MaxInFlight);
        // The steady state, by the server's own clock: the middle 80% of the run (start-up and the last, draining round
        // left out). The pipeline's promise is C requests open all the time; the rate it can reach is C over the mean
        // latency the server actually took (Little's law), which on a loaded machine is more than the 200 ms it waits:
        // a busy test host delays some answers, which no client can make up for.
        var first = spans.Min(s => s.Start);
        var last = spans.Max(s => s.End);
        var from = first + (last - first) * 0.1;
        var to = last - (last - first) * 0.1;
        var window = (to - from).TotalSeconds;
        var open = spans.Sum(s => Math.Max(0, (Min(s.End, to) - Max(s.Start, from)).TotalSeconds)) / window;
        var finished = spans.Count(s => s.End >= from && s.End < to) / window;
        var latency = spans.Average(s => (s.End - s.Start).TotalSeconds);
        var nominal = concurrency / Latency.TotalSeconds;
        var reachable = concurrency / latency;
        var report = $"{finished:0.0} items/s; C/L = {nominal:0.0} at the nominal {Latency.TotalMilliseconds:0} ms, {reachable:0.0} at the server's mean " +
            $"{latency * 1000:0} ms; mean in flight {open:0.0} of {concurrency}";
        Console.WriteLine(report);
        Assert.True(open >= 0.9 * concurrency, report);
        Assert.True(finished >= 0.9 * reachable, report);

        var summary = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(items, summary.GetProperty("tasks").EnumerateObject().Sum(t => t.Value.GetProperty("n").GetInt32()));
        Assert.True(summary.GetProperty("complete").GetBoolean());
        var runId = summary.GetProperty("run_id").GetGuid();
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var keys = await db.Results.AsNoTracking().Where(r => r.RunId == runId).Select(r => new { r.TaskId, r.ItemKey }).ToListAsync();
        Assert.Equal(items, keys.Count);
        Assert.Equal(items, keys.Distinct().Count());
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [Fact]
    public async Task A_cancel_stops_new_requests_within_one_commit_interval_and_keeps_what_finished()
    {
        const int commitIntervalMs = 500;
        // 2,000 items at 8 × 200 ms take 50 s: the cancel (a CLI process of its own) lands mid-run even on a slow machine.
        var datasets = WriteExam("pipecancel", tasks: 10, items: 200);
        _server.Latency = Latency;
        _server.Reset();
        using var running = CliProcess.Start(Environment(datasets, commitIntervalMs), "run", "--model", Spec(8), "--suite", "pipecancel",
            "--mode", "generate", "--no-cache", "--wait");
        await Poll.UntilAsync(() => Task.FromResult(_server.Spans.Count >= 40), TimeSpan.FromMinutes(2), "40 answered requests", () => running.Output);
        Guid runId;
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            runId = await db.Runs.Where(r => r.Suite!.Name == "pipecancel").Select(r => r.Id).SingleAsync();

        var cancel = await CliProcess.RunAsync(Environment(datasets), TimeSpan.FromMinutes(1), "runs", "cancel", runId.ToString());
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        var cancelledAt = _server.Spans.Max(s => s.End);
        await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId)).Status == RunStatus.Cancelled,
            TimeSpan.FromMinutes(1), "the run to be cancelled", () => running.Output);

        // Requests after the cancel: at most those started before the worker next looked (one interval) and still open.
        var log = _server.Log;
        var lastStart = log.Max(l => l.At);
        Assert.True(lastStart - cancelledAt < TimeSpan.FromMilliseconds(commitIntervalMs) + TimeSpan.FromSeconds(1.5),
            $"a request started {(lastStart - cancelledAt).TotalMilliseconds:0} ms after the cancel returned");
        Assert.True(log.Count < 2000, $"{log.Count} requests: the run was not stopped");

        // Every answer that finished before the cancel was committed; nothing is stored twice.
        await using var check = Migrator.CreateContext(database.ConnectionString);
        var stored = await check.Results.AsNoTracking().Where(r => r.RunId == runId).Select(r => r.ItemKey).ToListAsync();
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.True(stored.Count >= 40 && stored.Count <= log.Count, $"{stored.Count} stored of {log.Count} requests");
        Assert.Equal(stored.Count, (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId)).CompletedItems);
    }
}
