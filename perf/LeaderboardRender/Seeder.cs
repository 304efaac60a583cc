using System.Text.Json.Nodes;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Storage.Results;
using Npgsql;

namespace Evals.LeaderboardRender;

/// <summary>
/// A leaderboard-sized database: one suite of <c>tasks</c> accuracy tasks (in 5 capabilities) in two versions, <c>models</c>
/// registered models in 10 families, each with one succeeded run (every 10th on the older version) of <c>items</c> items
/// per task written by the real <see cref="ResultWriter"/>. Outcomes are drawn per model with its own accuracy, so
/// scores, intervals and counts differ from cell to cell.
/// </summary>
public static class Seeder
{
    public const string Suite = "perf";
    public static readonly string[] Capabilities = ["语言理解/词句级", "语言理解/篇章级", "知识/常识", "知识/语言知识", "信息获取与问答"];

    public static async Task SeedAsync(string connectionString, int models, int tasks, int items, CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
        var taskIds = Enumerable.Range(0, tasks).Select(i => Guid.CreateVersion7(start.AddSeconds(i))).ToArray();
        var current = Guid.CreateVersion7(start.AddDays(2));
        var older = Guid.CreateVersion7(start.AddDays(1));
        await using (var db = Migrator.CreateContext(connectionString))
        {
            for (var t = 0; t < tasks; t++)
            {
                var manifest = new JsonObject
                {
                    ["name"] = $"task-{t:00}", ["kind"] = "multiple_choice", ["files"] = new JsonObject { ["test"] = "test.jsonl" }, ["eval_split"] = "test",
                    ["metric"] = "accuracy", ["answer_field"] = "answer", ["choices_field"] = "choices", ["answer_style"] = "letter",
                    ["template"] = "{question}\n{choices}\n答案：", ["capabilities"] = new JsonArray(Capabilities[t % Capabilities.Length]),
                };
                db.Tasks.Add(new TaskVersion
                {
                    Id = taskIds[t], Name = $"{Suite}/task-{t:00}", Version = $"{t:x4}".PadRight(64, 'a'), Kind = "multiple_choice",
                    Manifest = manifest.ToJsonString(), ItemCount = items, CreatedAt = start,
                });
            }
            foreach (var (id, version, at) in new[] { (older, "old".PadRight(64, '0'), start.AddDays(1)), (current, "new".PadRight(64, '1'), start.AddDays(2)) })
                db.Suites.Add(new Suite
                {
                    Id = id, Name = Suite, Version = version, CreatedAt = at,
                    Tasks = taskIds.Select((t, i) => new SuiteTask { TaskId = t, Position = i }).ToList(),
                });
            await db.SaveChangesAsync(cancellationToken);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var random = new Random(20261123);
        for (var m = 0; m < models; m++)
        {
            var modelId = Guid.CreateVersion7(start.AddMinutes(m));
            var runId = Guid.CreateVersion7(start.AddDays(3).AddMinutes(m));
            var finished = start.AddDays(3).AddMinutes(m + 1);
            await using (var db = Migrator.CreateContext(connectionString))
            {
                db.Models.Add(new Model
                {
                    Id = modelId, Name = $"model-{m:000}", Kind = "baseline", Spec = $"baseline:random?seed={m}", Family = $"family-{m % 10}",
                    Checkpoint = $"step-{m / 10 * 1000}", CreatedAt = start.AddMinutes(m), AcceptedAt = m % 30 == 0 ? finished : null,
                });
                db.Runs.Add(new Run
                {
                    Id = runId, ModelId = modelId, ModelName = $"model-{m:000}", ModelSpec = $"baseline:random?seed={m}",
                    SuiteId = m % 10 == 9 ? older : current, Config = "{}", Status = RunStatus.Succeeded, TotalItems = tasks * items,
                    CompletedItems = tasks * items, CreatedAt = start.AddDays(3), StartedAt = start.AddDays(3), FinishedAt = finished,
                });
                await db.SaveChangesAsync(cancellationToken);
            }
            var skill = 0.25 + 0.7 * random.NextDouble();
            var rows = new List<ResultRow>(tasks * items);
            for (var t = 0; t < tasks; t++)
                for (var i = 0; i < items; i++)
                {
                    var roll = random.NextDouble();
                    var outcome = roll < 0.01 ? "unparseable" : random.NextDouble() < skill ? "correct" : "wrong";
                    rows.Add(new ResultRow(runId, taskIds[t], $"item-{i:0000}", $"问题 {i}：下列哪一项正确？\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n答案：", "B",
                        outcome == "unparseable" ? null : "B", "B", outcome, outcome == "correct" ? 100 : 0, 1.5, 40, 1, null, finished,
                        "{\"chance\": 25}"));
                }
            await ResultWriter.WriteAsync(connection, rows, cancellationToken);
        }
    }
}
