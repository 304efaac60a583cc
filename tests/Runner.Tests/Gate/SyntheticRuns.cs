using Evals.Benchmarks.Suites;
using Evals.Runner.Suites;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Storage.Results;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Evals.Runner.Tests.Gate;

/// <summary>
/// Finished runs with chosen per-item outcomes, written straight into a test database over a generated suite: the gate's
/// inputs with a known truth, without evaluating anything.
/// </summary>
internal static class SyntheticRuns
{
    /// <summary>A suite <c>synth</c> with tasks <c>big</c> (500 items) and <c>small</c> (60 items).</summary>
    public static string WriteSuite(int bigItems = 500)
    {
        var root = Directory.CreateTempSubdirectory("evals-gate-").FullName;
        foreach (var (task, n) in new[] { ("big", bigItems), ("small", 60) })
        {
            var folder = Path.Combine(root, "synth", task);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "task.json"), $$"""
                { "name": "{{task}}", "kind": "multiple_choice", "files": { "test": "test.jsonl" }, "choices_field": "choices",
                  "answer_field": "answer", "template": "{question}\n{choices}\n答案：" }
                """);
            File.WriteAllLines(Path.Combine(folder, "test.jsonl"), Enumerable.Range(0, n).Select(i =>
                $$"""{"id": "{{task}}{{i:D4}}", "question": "{{i}} 加 1 等于几？", "choices": ["{{i + 1}}", "{{i + 2}}"], "answer": "A"}"""));
        }
        return root;
    }

    /// <summary>Stores a succeeded run of <c>synth</c> whose item i of each task is correct when <paramref name="correct"/> says so.</summary>
    public static async Task<Guid> StoreRunAsync(string connectionString, string datasets, string model, Func<string, int, bool> correct)
    {
        var services = new ServiceCollection().AddStorage(connectionString).AddSingleton<SuiteStore>().BuildServiceProvider();
        var suite = new SuiteCatalog(datasets).Load("synth");
        var row = await services.GetRequiredService<SuiteStore>().SaveAsync(suite);
        var taskIds = new Dictionary<string, Guid>();
        await using (var db = Migrator.CreateContext(connectionString))
            foreach (var entry in db.SuiteTasks.Where(t => t.SuiteId == row.Id).Select(t => new { t.TaskId, t.Task!.Name }))
                taskIds[entry.Name] = entry.TaskId;
        var now = TimeProvider.System.GetUtcNow();
        var runId = Guid.CreateVersion7(now);
        var rows = new List<ResultRow>();
        foreach (var loaded in suite.Tasks)
        {
            var items = loaded.Task.EvalItems.OrderBy(i => i.Ordinal).ToList();
            for (var i = 0; i < items.Count; i++)
            {
                var ok = correct(loaded.Task.FullName, i);
                rows.Add(new ResultRow(runId, taskIds[loaded.Task.FullName], items[i].Id, "p", ok ? "A" : "B", ok ? "A" : "B", "A",
                    ok ? "correct" : "wrong", ok ? 100 : 0, 1, 0, 0, null, now));
            }
        }
        await using (var db = Migrator.CreateContext(connectionString))
        {
            db.Runs.Add(new Run
            {
                Id = runId, ModelName = model, ModelSpec = "baseline:first", SuiteId = row.Id, Config = "{\"mode\":\"loglikelihood\"}",
                Status = RunStatus.Succeeded, TotalItems = rows.Count, CompletedItems = rows.Count, CreatedAt = now, StartedAt = now, FinishedAt = now,
            });
            await db.SaveChangesAsync();
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await ResultWriter.WriteAsync(connection, rows);
        return runId;
    }
}
