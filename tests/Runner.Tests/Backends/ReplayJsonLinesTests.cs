using System.Text.Json;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Backends;

/// <summary>`baseline:replay?file=F.jsonl`: outputs produced elsewhere, scored by Evals through the real CLI.</summary>
[Collection(ProcessTests.Name)]
public sealed class ReplayJsonLinesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_json_lines_file_of_outputs_scores_a_run_as_counted_by_hand_and_items_without_a_line_are_errors()
    {
        var data = ReplayFiles.SmokeItems();
        var lines = new List<string>();
        foreach (var (task, id, answer, choices) in data)
        {
            var n = int.Parse(id[^3..]);
            var wrong = choices[(choices.IndexOf(answer) + 1) % choices.Count];
            var output = task switch
            {
                // 16 right, 8 wrong.
                "smoke/commonsense" => n <= 16 ? answer : wrong,
                // Odd items right, even ones wrong: 12 and 12.
                "smoke/sentiment" => n % 2 == 1 ? answer : wrong,
                // Every line right, but items 23 and 24 have none: 22 right, 2 errors.
                _ => n >= 23 ? null : answer,
            };
            // Further fields (a harness's own bookkeeping) are ignored.
            if (output is not null) lines.Add(JsonSerializer.Serialize(new { task, item_id = id, output, gold = answer }));
        }
        var file = ReplayFiles.Write(lines);

        var json = Path.Combine(Path.GetDirectoryName(file)!, "out.json");
        var result = await CliProcess.RunAsync(RunnerEnvironment.For(database.ConnectionString), TimeSpan.FromMinutes(3),
            "run", "--model", $"baseline:replay?file={file}", "--suite", "smoke", "--wait", "--json", json);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{file}: no line for 2 item(s) of the run (smoke/idioms idioms-test-023, smoke/idioms idioms-test-024)", result.StdErr);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal("generate", root.GetProperty("mode").GetString());
        Assert.Equal(2, root.GetProperty("failed_items").GetInt32());
        var tasks = root.GetProperty("tasks");
        foreach (var (task, correct, wrong, errors) in new[] { ("smoke/commonsense", 16, 8, 0), ("smoke/sentiment", 12, 12, 0), ("smoke/idioms", 22, 0, 2) })
        {
            var outcomes = tasks.GetProperty(task).GetProperty("outcomes");
            Assert.Equal((correct, wrong, 0, 0, errors), (outcomes.GetProperty("correct").GetInt32(), outcomes.GetProperty("wrong").GetInt32(),
                outcomes.GetProperty("unparseable").GetInt32(), outcomes.GetProperty("refused").GetInt32(), outcomes.GetProperty("error").GetInt32()));
            Assert.Equal(Math.Round(100.0 * correct / (correct + wrong), 4), tasks.GetProperty(task).GetProperty("score").GetDouble(), 4);
        }
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var runId = root.GetProperty("run_id").GetGuid();
        var errorsStored = await db.Results.AsNoTracking().Where(r => r.RunId == runId && r.Outcome == "error").Select(r => r.Error).ToListAsync();
        Assert.Equal(2, errorsStored.Count);
        Assert.All(errorsStored, e => Assert.Contains("no output in replay file", e));
    }

    [Theory]
    [InlineData("""{"task": "smoke/nope", "item_id": "idioms-test-002", "output": "A"}""", "field 'task': unknown task 'smoke/nope'; suite 'smoke' has smoke/commonsense, smoke/idioms, smoke/sentiment")]
    [InlineData("""{"task": "smoke/idioms", "item_id": "idioms-test-999", "output": "A"}""", "field 'item_id': task 'smoke/idioms' has no item 'idioms-test-999'")]
    [InlineData("""{"task": "smoke/idioms", "item_id": """, "not valid JSON")]
    [InlineData("""{"task": "smoke/idioms", "item_id": "idioms-test-002"}""", "field 'output': missing or not a string")]
    [InlineData("""{"task": "smoke/idioms", "output": "A"}""", "field 'item_id': missing or not a string or integer")]
    [InlineData("""{"item_id": "idioms-test-002", "output": "A"}""", "field 'task': missing or not a string")]
    [InlineData("""{"task": "smoke/idioms", "item_id": "idioms-test-001", "output": "B"}""", "task 'smoke/idioms' item 'idioms-test-001' appears twice (first on line 1)")]
    public async Task A_bad_line_exits_2_naming_file_and_line_and_enqueues_nothing(string secondLine, string message)
    {
        var file = ReplayFiles.Write(["""{"task": "smoke/idioms", "item_id": "idioms-test-001", "output": "B"}""", secondLine]);
        var spec = $"baseline:replay?file={file}";

        var result = await CliProcess.RunAsync(RunnerEnvironment.For(database.ConnectionString), TimeSpan.FromMinutes(2),
            "run", "--model", spec, "--suite", "smoke", "--wait");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{file}:2: {message}", result.StdErr);
        Assert.DoesNotContain($"{file}:1:", result.StdErr);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var directory = Path.GetFileName(Path.GetDirectoryName(file))!;
        Assert.False(await db.Runs.AnyAsync(r => r.ModelSpec.Contains(directory)));
        // Every queued job belongs to a stored run: nothing was enqueued for a run that was then refused.
        Assert.Equal(0, await db.Database.SqlQueryRaw<int>(
            "SELECT count(*)::int AS \"Value\" FROM qrtz_job_details j WHERE j.job_group = 'runs' AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id::text = j.job_name)").SingleAsync());
    }
}

/// <summary>Replay files for tests: the smoke suite's items straight from its data files, and a file per test.</summary>
internal static class ReplayFiles
{
    /// <summary>Every smoke test item: its task, id, the answer as a model writes it (letter or label word) and the possible answers.</summary>
    public static List<(string Task, string Id, string Answer, List<string> Choices)> SmokeItems()
    {
        var items = new List<(string, string, string, List<string>)>();
        foreach (var folder in Directory.GetDirectories(Path.Combine(RepoPaths.Datasets, "smoke")).Order(StringComparer.Ordinal))
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "task.json")));
            var m = manifest.RootElement;
            var answerField = m.GetProperty("answer_field").GetString()!;
            var labels = m.TryGetProperty("labels", out var l)
                ? l.EnumerateArray().ToDictionary(x => x.GetProperty("value").GetString()!, x => x.GetProperty("word").GetString()!) : null;
            var choices = labels?.Values.ToList() ?? ["A", "B", "C", "D"];
            foreach (var line in File.ReadAllLines(Path.Combine(folder, "test.jsonl")).Where(x => x.Trim().Length > 0))
            {
                var item = JsonDocument.Parse(line).RootElement;
                var answer = item.GetProperty(answerField).GetString()!;
                items.Add(($"smoke/{Path.GetFileName(folder)}", item.GetProperty("id").GetString()!, labels?[answer] ?? answer, choices));
            }
        }
        return items;
    }

    /// <summary>A replay file answering every smoke item correctly.</summary>
    public static Task<string> WriteCorrectAnswersAsync() =>
        Task.FromResult(Write(SmokeItems().Select(i => JsonSerializer.Serialize(new { task = i.Task, item_id = i.Id, output = i.Answer }))));

    public static string Write(IEnumerable<string> lines)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("evals-replay-").FullName, "outputs.jsonl");
        File.WriteAllLines(file, lines);
        return file;
    }
}
