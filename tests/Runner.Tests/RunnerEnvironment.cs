using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests;

/// <summary>Environment for CLI and worker processes pointed at one test database, with quick cluster failover.</summary>
internal static class RunnerEnvironment
{
    public static Dictionary<string, string> For(string connectionString, string? datasets = null) => new()
    {
        ["ConnectionStrings__Evals"] = connectionString,
        ["Runner__CheckinIntervalMs"] = "1000",
        ["Runner__CheckinMisfireThresholdMs"] = "2000",
        ["Runner__Datasets"] = datasets ?? TestKit.RepoPaths.Datasets,
    };

    public static async Task<Run> ReadRunAsync(string connectionString, Guid runId)
    {
        await using var db = Migrator.CreateContext(connectionString);
        return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
    }

    /// <summary>Writes a one-task suite of <paramref name="items"/> generated items into a temp datasets folder.</summary>
    public static string WriteGeneratedSuite(string suite, int items)
    {
        var root = Directory.CreateTempSubdirectory("evals-datasets-").FullName;
        var folder = Path.Combine(root, suite, "numbers");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "task.json"), """
            {
              "name": "numbers",
              "kind": "multiple_choice",
              "files": { "test": "test.jsonl", "train": "train.jsonl" },
              "fewshot_split": "train",
              "choices_field": "choices",
              "answer_field": "answer",
              "template": "{question}\n{choices}\n答案：",
              "capabilities": ["数学"]
            }
            """);
        File.WriteAllLines(Path.Combine(folder, "test.jsonl"), Enumerable.Range(1, items).Select(i =>
            $$"""{"id": "n{{i:D4}}", "question": "{{i}} 加 1 等于几？", "choices": ["{{i + 1}}", "{{i + 2}}", "{{i}}", "{{i - 1}}"], "answer": "{{"ABCD"[i % 4]}}"}"""));
        File.WriteAllLines(Path.Combine(folder, "train.jsonl"), ["""{"id": "t1", "question": "1 加 1 等于几？", "choices": ["2", "3", "1", "0"], "answer": "A"}"""]);
        return root;
    }
}
