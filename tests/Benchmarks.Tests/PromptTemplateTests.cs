using System.Text.Json;
using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Tests;

public class PromptTemplateTests
{
    private static EvalTask Task()
    {
        var manifest = new TaskManifest
        {
            Name = "t", Kind = "multiple_choice", Files = new() { ["test"] = "test.jsonl" }, AnswerField = "answer",
            ChoicesField = "choices", Template = "问题：{question}\n{choices}\n答案：",
        };
        var item = new TaskItem("q1", "test", 0, JsonDocument.Parse("""{"id":"q1","question":"一加一？","choices":["二","三"],"answer":"A"}""").RootElement.Clone());
        return TaskKinds.Create("synth", manifest, [item]);
    }

    [Fact]
    public void An_override_changes_the_prompt_and_nothing_else()
    {
        var task = Task();
        var variant = PromptTemplates.Apply(task, new Dictionary<string, string> { ["synth/t"] = "请回答：{question}\n{choices}\n答：" });
        var before = task.Prepare(task.Items[0], 0);
        var after = variant.Prepare(variant.Items[0], 0);
        Assert.Equal("请回答：一加一？\nA. 二\nB. 三\n答：", after.Prompt);
        Assert.Equal(before.Continuations, after.Continuations);
        Assert.Equal(before.AnswerIndex, after.AnswerIndex);
        Assert.Same(task, PromptTemplates.Apply(task, new Dictionary<string, string> { ["synth/other"] = "x" }));
    }

    [Fact]
    public void Unknown_placeholders_are_named()
    {
        var task = Task();
        Assert.Equal(["passage"], PromptTemplates.UnknownPlaceholders(task, "{passage}{question}{choices}"));
        Assert.Contains("question", PromptTemplates.KnownPlaceholders(task));
        Assert.NotEqual(PromptTemplates.Hash(new Dictionary<string, string> { ["a"] = "x" }), PromptTemplates.Hash(new Dictionary<string, string> { ["a"] = "y" }));
    }
}
