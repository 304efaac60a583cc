using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Remote;

/// <summary>openai: runs through the real CLI, a worker and PostgreSQL against a fake server on loopback.</summary>
[Collection(ProcessTests.Name)]
public sealed class RemoteRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const string KeyVariable = "EVALS_TEST_REMOTE_KEY";
    private const string Key = "sk-remote-secret-9876543210";
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Dictionary<string, string> Environment()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        env[KeyVariable] = Key;
        return env;
    }

    // The response cache is keyed by the spec, port included, and the class's tests share one database: a port the system
    // hands out again must not let one test's answers serve another's, so each test asks for a model name of its own.
    private readonly string _model = $"fake-{Guid.NewGuid():N}";

    private string Spec(string extra = "") => $"openai:{_server.BaseUrl}?model={_model}&key_env={KeyVariable}{extra}";

    private static Fault Drill(string prompt) => FakeOpenAiServer.Bucket(prompt) switch
    {
        < 8 => Fault.RateLimitedOnce,
        < 14 => Fault.ServerError,
        < 18 => Fault.Hang,
        < 26 => Fault.DropOnce,
        < 32 => Fault.MalformedJson,
        < 36 => Fault.Refusal,
        _ => Fault.None,
    };

    [Fact]
    public async Task Fault_drill_stores_final_failures_with_their_errors_once_each_and_a_retry_reruns_only_those()
    {
        _server.FaultFor = Drill;
        var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "drill.json");
        var run = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(3), "run", "--model", Spec("&timeout_s=2&retries=2&retry_delay_ms=50"),
            "--suite", "smoke", "--mode", "generate", "--wait", "--json", json);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain(Key, run.StdOut + run.StdErr);
        var runId = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("run_id").GetGuid();

        var kinds = _server.Log.GroupBy(l => l.Prompt).ToDictionary(g => g.Key, g => g.First().Fault);
        Fault[] drilled = [Fault.None, Fault.RateLimitedOnce, Fault.ServerError, Fault.Hang, Fault.DropOnce, Fault.MalformedJson, Fault.Refusal];
        foreach (var fault in drilled) Assert.True(kinds.Values.Contains(fault), $"the drill hit no {fault} item; change its buckets");

        await using var db = Migrator.CreateContext(database.ConnectionString);
        var results = await db.Results.AsNoTracking().Where(r => r.RunId == runId).ToListAsync();
        Assert.Equal(72, results.Count);
        Assert.Equal(results.Count, results.Select(r => (r.TaskId, r.ItemKey)).Distinct().Count());
        foreach (var r in results)
        {
            var fault = kinds[r.Prompt!];
            var expected = fault switch
            {
                Fault.ServerError or Fault.Hang or Fault.MalformedJson => "error",
                Fault.Refusal => "refused",
                _ => r.Outcome is "correct" or "wrong" or "unparseable" ? r.Outcome : "a scored outcome",
            };
            Assert.True(expected == r.Outcome, $"{fault} item {r.ItemKey}: {r.Outcome} ({r.Error})");
            var reason = fault switch
            {
                Fault.ServerError => "HTTP 500",
                Fault.Hang => "no answer within 2 s",
                Fault.MalformedJson => "malformed response",
                Fault.Refusal => "data_inspection_failed",
                _ => null,
            };
            if (reason is not null) Assert.Contains(reason, r.Error);
            Assert.DoesNotContain(Key, r.Error ?? "");
        }
        var failed = results.Where(r => r.Outcome == "error").Select(r => r.Prompt!).ToHashSet();
        var summary = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal("succeeded", summary.GetProperty("status").GetString());
        Assert.Equal(failed.Count, summary.GetProperty("tasks").EnumerateObject().Sum(t => t.Value.GetProperty("outcomes").GetProperty("error").GetInt32()));
        Assert.Equal(failed.Count, summary.GetProperty("failed_items").GetInt32());
        // Error items are no answers: the run is incomplete (marked in the JSON and the CLI) and the gate refuses it.
        Assert.False(summary.GetProperty("complete").GetBoolean());
        Assert.Contains("incomplete", run.StdOut);
        Assert.Equal(72 - failed.Count, summary.GetProperty("tasks").EnumerateObject().Sum(t => t.Value.GetProperty("n").GetInt32()));
        var refused = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(2), "gate", "--candidate", runId.ToString(), "--baseline", runId.ToString(),
            "--suite", "smoke", "--no-worker");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains($"{failed.Count} item(s) that failed with errors", refused.StdErr);

        // The endpoint recovers; a retry calls it for the failed items only, and each of them exactly once.
        _server.FaultFor = _ => Fault.None;
        _server.Reset();
        var retry = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(1), "runs", "retry", runId.ToString());
        Assert.True(retry.ExitCode == 0, retry.ToString());
        using (var worker = CliProcess.Start(Environment(), "worker"))
        {
            await Poll.UntilAsync(async () => (await RunnerEnvironment.ReadRunAsync(database.ConnectionString, runId)).Status == RunStatus.Succeeded,
                TimeSpan.FromMinutes(2), "the retried run to succeed", () => worker.Output);
        }
        Assert.Equal(failed.OrderBy(p => p), _server.Log.Select(l => l.Prompt).OrderBy(p => p));
        var after = await db.Results.AsNoTracking().Where(r => r.RunId == runId).ToListAsync();
        Assert.Equal(72, after.Count);
        Assert.DoesNotContain(after, r => r.Outcome == "error");
        var shown = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(1), "runs", "show", runId.ToString(), "--json");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        var completed = JsonDocument.Parse(shown.StdOut).RootElement;
        Assert.True(completed.GetProperty("complete").GetBoolean());
        Assert.Equal(72, completed.GetProperty("tasks").EnumerateObject().Sum(t => t.Value.GetProperty("n").GetInt32()));
        // Items that had succeeded were not touched.
        var before = results.Where(r => r.Outcome != "error").ToDictionary(r => (r.TaskId, r.ItemKey), r => r.Id);
        Assert.Equal(72 - failed.Count, before.Count);
        Assert.Equal(before.Count, after.Count(r => before.ContainsKey((r.TaskId, r.ItemKey))));
        Assert.All(after.Where(r => before.ContainsKey((r.TaskId, r.ItemKey))), r => Assert.Equal(before[(r.TaskId, r.ItemKey)], r.Id));
        var secrets = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => r.ModelSpec + r.Config + (r.Error ?? "") + (r.BackendReport ?? "")).SingleAsync();
        Assert.DoesNotContain(Key, secrets);
    }

    [Fact]
    public async Task A_second_identical_run_is_answered_from_the_cache_and_no_cache_calls_again()
    {
        var spec = Spec("&price_in=1&price_out=2&stream=true");
        async Task<JsonElement> RunAsync(params string[] extra)
        {
            var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "run.json");
            var result = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(2),
                ["run", "--model", spec, "--suite", "smoke", "--mode", "generate", "--limit", "3", "--wait", "--json", json, .. extra]);
            Assert.True(result.ExitCode == 0, result.ToString());
            return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        }

        var first = await RunAsync();
        Assert.Equal(9, _server.Calls);
        var usage = first.GetProperty("usage");
        var promptTokens = usage.GetProperty("prompt_tokens").GetInt64();
        // The server counts one token per character of the prompt it received.
        Assert.Equal(_server.Log.Sum(l => (long)l.Prompt.Length), promptTokens);
        Assert.Equal(9, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal((promptTokens * 1 + 9 * 2) / 1e6, usage.GetProperty("cost").GetDouble(), 9);
        Assert.Equal(0, usage.GetProperty("cached_items").GetInt32());
        Assert.True(usage.GetProperty("mean_ttft_ms").GetDouble() > 0);

        _server.Reset();
        var second = await RunAsync();
        Assert.Equal(0, _server.Calls);
        Assert.Equal(9, second.GetProperty("usage").GetProperty("cached_items").GetInt32());
        Assert.Equal(0, second.GetProperty("usage").GetProperty("cost").GetDouble());
        Assert.Equal(first.GetProperty("tasks").GetRawText().Replace(first.GetProperty("run_id").GetString()!, ""),
            second.GetProperty("tasks").GetRawText().Replace(second.GetProperty("run_id").GetString()!, ""));

        _server.Reset();
        var third = await RunAsync("--no-cache");
        Assert.Equal(9, _server.Calls);
        Assert.Equal(0, third.GetProperty("usage").GetProperty("cached_items").GetInt32());
    }

    [Fact]
    public async Task A_loglikelihood_run_against_a_chat_only_server_falls_back_to_generation_and_says_so()
    {
        // The fake server serves chat completions only: /v1/completions answers 404 to the echo probe.
        var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "run.json");
        var result = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(2),
            ["run", "--model", Spec(), "--suite", "smoke", "--mode", "loglikelihood", "--limit", "3", "--no-cache", "--wait", "--json", json]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(9, _server.Calls);
        Assert.Equal("generate", summary.GetProperty("mode").GetString());
        Assert.Equal(0, summary.GetProperty("failed_items").GetInt32());
        var backend = summary.GetProperty("backend").GetString()!;
        Assert.Contains("log-likelihood unavailable", backend);
        Assert.Contains("completions answered the echo probe with HTTP 404", backend);
        var runId = summary.GetProperty("run_id").GetGuid();
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var details = await db.Results.AsNoTracking().Where(r => r.RunId == runId).Select(r => r.Details).ToListAsync();
        Assert.Equal(9, details.Count);
        Assert.All(details, d => Assert.Equal("generate", JsonDocument.Parse(d!).RootElement.GetProperty("mode").GetString()));
    }

    [Theory]
    [InlineData("openai:ftp://example.com/v1?model=x", "is not an http(s) base URL")]
    [InlineData("openai:http://127.0.0.1:1/v1?model=x&key_env=EVALS_TEST_SURELY_UNSET_KEY", "EVALS_TEST_SURELY_UNSET_KEY (key_env) is not set")]
    [InlineData("openai:http://127.0.0.1:1/v1?model=x", "cannot reach 127.0.0.1:1 (connection refused)")]
    public async Task Bad_openai_specs_exit_2_with_one_line_and_enqueue_nothing(string spec, string message)
    {
        var result = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(1), "run", "--model", spec, "--suite", "smoke");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.StdErr);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.False(await db.Runs.AnyAsync(r => r.ModelSpec.Contains("127.0.0.1:1") || r.ModelSpec.Contains("ftp:")));
    }
}
