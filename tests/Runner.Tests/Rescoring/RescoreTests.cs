using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Runner.Tests.Backends;
using Evals.Runner.Tests.Remote;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Rescoring;

/// <summary>`evals runs rescore` through the real CLI, a worker hosted by `--wait`, and PostgreSQL.</summary>
[Collection(ProcessTests.Name)]
public sealed class RescoreTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Dictionary<string, string> Environment() => RunnerEnvironment.For(database.ConnectionString);

    [Fact]
    public async Task Rescoring_a_generated_run_reproduces_its_scores_exactly_and_calls_the_model_zero_times()
    {
        var spec = $"openai:{_server.BaseUrl}?model=rescore-counted";
        var (sourceId, source) = await RunAsync("run", "--model", spec, "--suite", "smoke", "--mode", "generate", "--wait");
        var calls = _server.Calls;
        Assert.True(calls >= 72, $"the source run made {calls} calls");
        var cached = await CacheKeysAsync();

        var (rescoredId, rescored) = await RunAsync("runs", "rescore", sourceId.ToString(), "--wait");

        Assert.Equal(calls, _server.Calls);
        Assert.Equal(cached, await CacheKeysAsync());
        Assert.NotEqual(sourceId, rescoredId);
        Assert.Equal(sourceId, rescored.GetProperty("rescored_from").GetGuid());
        Assert.False(source.TryGetProperty("rescored_from", out _));
        AssertSameScores(source, rescored);
        var (before, after) = await ResultsAsync(sourceId, rescoredId);
        Assert.Equal(72, after.Count);
        Assert.Empty(Differing(before, after));
        Assert.All(after.Values, r => Assert.Equal("scored", Note(r)));
    }

    [Fact]
    public async Task Rescoring_a_log_likelihood_run_rederives_each_choice_from_the_stored_log_likelihoods_and_copies_results_without_them()
    {
        var (sourceId, source) = await RunAsync("run", "--model", "baseline:majority", "--suite", "smoke", "--wait");
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            // No model can be called for the re-scoring: the source's spec no longer loads (an unknown baseline fails the backend's creation).
            await db.Runs.Where(r => r.Id == sourceId).ExecuteUpdateAsync(s => s.SetProperty(r => r.ModelSpec, "baseline:gone-since"));
            // Results stored before exact log-likelihoods were kept: copied as they were, and said so.
            await db.Database.ExecuteSqlAsync($"update results set details = details - 'loglikelihoods' where run_id = {sourceId} and item_key in ('idioms-test-001', 'idioms-test-002')");
        }

        var json = JsonPath();
        var result = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(3), "runs", "rescore", sourceId.ToString(), "--wait", "--json", json);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"re-scored from run {sourceId}: 70 items scored again, 0 changed outcome or score; 2 copied: no exact log-likelihoods stored", result.StdOut);
        var rescored = Read(json);
        AssertSameScores(source, rescored);
        var (before, after) = await ResultsAsync(sourceId, rescored.GetProperty("run_id").GetGuid());
        Assert.Empty(Differing(before, after));
        Assert.Equal(["idioms-test-001", "idioms-test-002"], after.Where(r => Note(r.Value) != "scored").Select(r => r.Key.Item).Order());
        // acc_norm_chars is re-derived too, from the same numbers.
        Assert.Equal(source.GetProperty("tasks").GetProperty("smoke/idioms").GetProperty("metrics").GetProperty("acc_norm_chars").GetProperty("score").GetDouble(),
            rescored.GetProperty("tasks").GetProperty("smoke/idioms").GetProperty("metrics").GetProperty("acc_norm_chars").GetProperty("score").GetDouble());
    }

    [Fact]
    public async Task Rescoring_changes_exactly_the_items_whose_stored_output_today_s_extraction_reads_differently()
    {
        var file = await ReplayFiles.WriteCorrectAnswersAsync();
        var (sourceId, source) = await RunAsync("run", "--model", $"baseline:replay?file={file}", "--suite", "smoke", "--wait");
        Assert.Equal(100, source.GetProperty("tasks").GetProperty("smoke/commonsense").GetProperty("score").GetDouble());
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            // As an older rule would have left it: the output "A" was not read, the item unparseable.
            await db.Results.Where(r => r.RunId == sourceId && r.ItemKey == "commonsense-test-001").ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Outcome, "unparseable").SetProperty(r => r.Parsed, (string?)null).SetProperty(r => r.Score, 0));
            // An output today's extraction reads as another option (idioms-test-001's answer is B).
            await db.Results.Where(r => r.RunId == sourceId && r.ItemKey == "idioms-test-001").ExecuteUpdateAsync(s => s.SetProperty(r => r.RawOutput, "C"));
        }
        // The replay file is gone: the outputs can only come from the database.
        File.Delete(file);

        var json = JsonPath();
        var result = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(3), "runs", "rescore", sourceId.ToString(), "--wait", "--json", json);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("72 items scored again, 2 changed outcome or score", result.StdOut);
        var rescored = Read(json);
        var rescoredId = rescored.GetProperty("run_id").GetGuid();

        var (before, after) = await ResultsAsync(sourceId, rescoredId);
        Assert.Equal([("smoke/commonsense", "commonsense-test-001"), ("smoke/idioms", "idioms-test-001")], Differing(before, after).Order());
        var fixedItem = after[("smoke/commonsense", "commonsense-test-001")];
        Assert.Equal(("correct", "A", 100.0), (fixedItem.Outcome, fixedItem.Parsed, fixedItem.Score));
        var changed = after[("smoke/idioms", "idioms-test-001")];
        Assert.Equal(("wrong", "C", 0.0), (changed.Outcome, changed.Parsed, changed.Score));
        var tasks = rescored.GetProperty("tasks");
        Assert.Equal(24, tasks.GetProperty("smoke/commonsense").GetProperty("outcomes").GetProperty("correct").GetInt32());
        Assert.Equal(23, tasks.GetProperty("smoke/idioms").GetProperty("outcomes").GetProperty("correct").GetInt32());
    }

    [SharedDatasetsFact("halluqa")]
    public async Task Rescoring_a_judged_run_reuses_the_stored_judge_verdicts_and_asks_no_judge()
    {
        SharedDatasetsRule.Require("halluqa");
        string Shared(params string[] parts) => Path.Combine([RepoPaths.SharedDatasets, "halluqa", .. parts]);
        var judged = Shared("Chinese_LLMs_outputs", "open_generation", "gpt-4-0613_output_qa_prompt.json");
        var judge = $"baseline:judge?labels={judged}";
        var datasets = Directory.CreateTempSubdirectory("evals-halluqa-").FullName;
        Directory.CreateDirectory(Path.Combine(datasets, "halluqa", "open_qa"));
        File.Copy(Path.Combine(RepoPaths.Datasets, "halluqa", "open_qa", "task.json"), Path.Combine(datasets, "halluqa", "open_qa", "task.json"));
        File.Copy(Path.Combine(RepoPaths.Datasets, "capabilities.json"), Path.Combine(datasets, "capabilities.json"));
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        var import = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "import", "halluqa", "--path", Shared());
        Assert.True(import.ExitCode == 0, import.ToString());
        var check = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "judge-check", "--judge", judge, "--labels", judged);
        Assert.True(check.ExitCode == 0, check.ToString());
        var sourceJson = JsonPath();
        var run = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"baseline:replay?file={Shared("gpt-4-0613_responses.json")}",
            "--judge", judge, "--suite", "halluqa", "--limit", "60", "--wait", "--json", sourceJson);
        Assert.True(run.ExitCode == 0, run.ToString());
        var source = Read(sourceJson);
        var sourceId = source.GetProperty("run_id").GetGuid();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            // Neither the model nor the judge could be asked now: both specs no longer load.
            await db.Database.ExecuteSqlAsync($"update runs set model_spec = 'baseline:gone', config = jsonb_set(config, '{{judge}}', '\"baseline:gone-judge\"') where id = {sourceId}");

        var json = JsonPath();
        var result = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "runs", "rescore", sourceId.ToString(), "--wait", "--json", json);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("60 items scored again, 0 changed outcome or score", result.StdOut);
        var rescored = Read(json);
        AssertSameScores(source, rescored);
        Assert.True(rescored.GetProperty("tasks").GetProperty("halluqa/open_qa").TryGetProperty("hallucination", out _));
        var (before, after) = await ResultsAsync(sourceId, rescored.GetProperty("run_id").GetGuid());
        Assert.Empty(Differing(before, after));
        Assert.All(after.Values, r => Assert.Equal("scored", Note(r)));
    }

    [Fact]
    public async Task Bad_run_ids_and_runs_without_results_exit_2_naming_the_problem_and_queue_nothing()
    {
        var env = Environment();
        var malformed = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "runs", "rescore", "not-a-run");
        Assert.True(malformed.ExitCode == 2, malformed.ToString());
        Assert.Contains("'not-a-run' is not a run id", malformed.StdErr);

        var unknown = Guid.NewGuid();
        var missing = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "runs", "rescore", unknown.ToString());
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains($"no run with id {unknown}", missing.StdErr);

        // Queued (no worker here), then cancelled before any item ran.
        var queued = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "run", "--model", "baseline:first?delay_ms=1", "--suite", "smoke");
        Assert.True(queued.ExitCode == 0, queued.ToString());
        var queuedId = Guid.Parse(queued.StdOut.Trim());
        var early = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "runs", "rescore", queuedId.ToString());
        Assert.True(early.ExitCode == 2, early.ToString());
        Assert.Contains($"run {queuedId} is queued; re-score it once it has ended", early.StdErr);
        Assert.Equal(0, (await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "runs", "cancel", queuedId.ToString())).ExitCode);
        var empty = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "runs", "rescore", queuedId.ToString());
        Assert.True(empty.ExitCode == 2, empty.ToString());
        Assert.Contains($"run {queuedId} has no stored results to re-score", empty.StdErr);

        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.False(await db.Runs.AnyAsync(r => r.RescoredFrom == queuedId || r.RescoredFrom == unknown));
    }

    private async Task<(Guid Id, JsonElement Summary)> RunAsync(params string[] args)
    {
        var json = JsonPath();
        var result = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(3), [.. args, "--json", json]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = Read(json);
        Assert.Equal("succeeded", summary.GetProperty("status").GetString());
        return (summary.GetProperty("run_id").GetGuid(), summary);
    }

    private static string JsonPath() => Path.Combine(Directory.CreateTempSubdirectory("evals-rescore-").FullName, "summary.json");

    private static JsonElement Read(string json) => JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone();

    /// <summary>Every task figure the summary reports (score, interval, n, outcomes, further metrics, extraction rules) and the roll-ups.</summary>
    private static void AssertSameScores(JsonElement source, JsonElement rescored)
    {
        foreach (var field in new[] { "model", "suite", "suite_version", "mode", "capabilities", "overall", "tasks_mean" })
            Assert.Equal(source.GetProperty(field).GetRawText(), rescored.GetProperty(field).GetRawText());
        var before = source.GetProperty("tasks");
        var after = rescored.GetProperty("tasks");
        Assert.Equal(before.EnumerateObject().Select(t => t.Name), after.EnumerateObject().Select(t => t.Name));
        foreach (var task in before.EnumerateObject())
            Assert.Equal(task.Value.GetRawText(), after.GetProperty(task.Name).GetRawText());
    }

    private async Task<(Dictionary<(string Task, string Item), ItemResult> Before, Dictionary<(string Task, string Item), ItemResult> After)> ResultsAsync(Guid source, Guid rescored)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var names = await db.Tasks.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name);
        async Task<Dictionary<(string, string), ItemResult>> Of(Guid runId) =>
            (await db.Results.AsNoTracking().Where(r => r.RunId == runId).ToListAsync()).ToDictionary(r => (names[r.TaskId], r.ItemKey));
        return (await Of(source), await Of(rescored));
    }

    private static List<(string Task, string Item)> Differing(Dictionary<(string, string), ItemResult> before, Dictionary<(string, string), ItemResult> after)
    {
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        return before.Where(b => (b.Value.Outcome, b.Value.Score, b.Value.Parsed) != (after[b.Key].Outcome, after[b.Key].Score, after[b.Key].Parsed))
            .Select(b => b.Key).ToList();
    }

    private static string? Note(ItemResult result) => JsonNode.Parse(result.Details!)!["rescore"]?.GetValue<string>();

    private async Task<List<string>> CacheKeysAsync()
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.Database.SqlQuery<string>($"select key as \"Value\" from response_cache where model like {"openai:%rescore-counted%"} order by key").ToListAsync();
    }
}
