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
        // The pipeline's promise, without a clock: C requests were open at once, never more (at 32, more than a
        // batch-by-batch job with the default batch of 16 could hold). How close the rate comes to C over the latency depends on the machine, so it is
        // measured in perf/ (perf/run-remote-throughput.sh --latency-ms 200 prints items/s against C/L and the mean in
        // flight), not bounded here.
        Assert.Equal(concurrency, _server.MaxInFlight);

        var summary = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(items, summary.GetProperty("tasks").EnumerateObject().Sum(t => t.Value.GetProperty("n").GetInt32()));
        Assert.True(summary.GetProperty("complete").GetBoolean());
        var runId = summary.GetProperty("run_id").GetGuid();
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var keys = await db.Results.AsNoTracking().Where(r => r.RunId == runId).Select(r => new { r.TaskId, r.ItemKey }).ToListAsync();
        Assert.Equal(items, keys.Count);
        Assert.Equal(items, keys.Distinct().Count());
    }

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

        // Requests after the cancel: those started before the worker next looked (one interval) and still open. The
        // bound allows a machine ten times slower than one interval plus 1.5 s; the run would need 50 s more to finish.
        var log = _server.Log;
        var lastStart = log.Max(l => l.At);
        Assert.True(lastStart - cancelledAt < 10 * (TimeSpan.FromMilliseconds(commitIntervalMs) + TimeSpan.FromSeconds(1.5)),
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
