using System.Text.Json;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Onnx;

/// <summary>A task of multi-turn items run through the CLI and a worker: the job hands each item's whole conversation to the engine.</summary>
[Collection(ProcessTests.Name)]
public sealed class MultiTurnRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly Dictionary<string, IReadOnlyList<ChatTurn>> Conversations = new()
    {
        ["a"] = [new("system", "你是导游。"), new("user", "知道保和殿吗？"), new("assistant", "知道呀，北京故宫中的一座殿宇式建筑。"), new("user", "游玩需要多长时间？")],
        ["b"] = [new("assistant", "南锣鼓巷呀。"), new("user", "开放时间有限制吗？")],
    };

    [Fact]
    public async Task Each_item_is_asked_as_its_whole_conversation_and_stored_as_it()
    {
        var root = Directory.CreateTempSubdirectory("evals-multiturn-").FullName;
        var task = Directory.CreateDirectory(Path.Combine(root, "dialogue", "chat")).FullName;
        File.WriteAllText(Path.Combine(task, "task.json"), """
            {"name": "chat", "kind": "span_extraction", "files": {"test": "test.jsonl"}, "answer_field": "answers", "metric": "em",
             "messages_field": "messages", "template": "", "max_tokens": 6}
            """);
        File.WriteAllLines(Path.Combine(task, "test.jsonl"), Conversations.Select(c => JsonSerializer.Serialize(new
        {
            id = c.Key, answers = new[] { "1小时" }, messages = c.Value.Select(t => new { role = t.Role, content = t.Content }),
        })));
        var model = Path.Combine(root, "tiny");
        TinyModelWriter.Write(model, seed: 7);

        var json = Path.Combine(root, "summary.json");
        var run = await CliProcess.RunAsync(RunnerEnvironment.For(database.ConnectionString, root), TimeSpan.FromMinutes(3),
            "run", "--model", $"onnx:{model}", "--suite", "dialogue", "--wait", "--json", json);
        Assert.True(run.ExitCode == 0, run.ToString());
        var runId = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("run_id").GetGuid();
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var results = await db.Results.AsNoTracking().Where(r => r.RunId == runId).ToDictionaryAsync(r => r.ItemKey);
        Assert.Equal(2, results.Count);

        await using var local = OnnxBackend.Create(ModelSpec.Parse($"onnx:{model}"));
        foreach (var (id, turns) in Conversations)
        {
            var result = results[id];
            Assert.NotEqual("error", result.Outcome);
            Assert.Equal(Conversation.ToStored(turns), result.Prompt);
            var asked = await local.GenerateAsync(new GenerateRequest(new TaskContext("dialogue/chat", null), id, result.Prompt!, ["\n"],
                new DecodingOptions(MaxTokens: 6), Messages: turns));
            Assert.Equal(local.Folder.Tokenizer.Encode(local.RenderConversation(turns)).Length, result.TokensIn);
            Assert.Equal(asked.PromptTokens, result.TokensIn);
            Assert.Equal(asked.Text, result.RawOutput);
        }
        Directory.Delete(root, recursive: true);
    }
}
