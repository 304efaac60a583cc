using System.Text.Json;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Tests;

/// <summary>Multi-turn items: a manifest's <c>messages_field</c> read, validated per item and turned into the conversation asked.</summary>
public sealed class ConversationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evals-conversation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Task(string manifest, params string[] lines)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, $"t{Directory.GetDirectories(_dir).Length}")).FullName;
        File.WriteAllText(Path.Combine(folder, "task.json"), manifest);
        File.WriteAllText(Path.Combine(folder, "test.jsonl"), string.Join('\n', lines));
        return folder;
    }

    private const string SpanManifest = """
        {"name": "dialogue", "kind": "span_extraction", "files": {"test": "test.jsonl"}, "answer_field": "answers",
         "metric": "em", "messages_field": "messages", "template": "%TEMPLATE%"}
        """;

    private static string Span(string template) => SpanManifest.Replace("%TEMPLATE%", template, StringComparison.Ordinal);

    [Fact]
    public void Context_turns_then_the_rendered_template_as_the_last_user_turn_and_the_whole_conversation_stored()
    {
        var folder = Task(Span("问题：{question}"),
            """{"id": "a", "question": "他说的是哪座城市？", "answers": ["北京"], "messages": [{"role": "system", "content": "你是导游。"}, {"role": "user", "content": "我想去北京。"}, {"role": "assistant", "content": "北京很好玩。"}]}""");
        var task = TaskLoader.Load("cuge", folder).Task;
        var prepared = task.Prepare(task.Items[0], 0);

        ChatTurn[] expected =
        [
            new("system", "你是导游。"), new("user", "我想去北京。"), new("assistant", "北京很好玩。"), new("user", "问题：他说的是哪座城市？"),
        ];
        Assert.Equal(expected, prepared.Messages);
        Assert.Equal("""
            [{"role":"system","content":"你是导游。"},
             {"role":"user","content":"我想去北京。"},
             {"role":"assistant","content":"北京很好玩。"},
             {"role":"user","content":"问题：他说的是哪座城市？"}]
            """, prepared.Prompt);
        Assert.Equal(expected, Conversation.FromStored(prepared.Prompt));
        Assert.Null(Conversation.FromStored("问题：他说的是哪座城市？"));
    }

    [Fact]
    public void An_empty_template_makes_the_conversation_alone_the_prompt()
    {
        var folder = Task(Span(""),
            """{"id": "a", "answers": ["好"], "messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好！"}, {"role": "user", "content": "去哪儿玩？"}]}""");
        var task = TaskLoader.Load("cuge", folder).Task;
        var prepared = task.Prepare(task.Items[0], 0);
        Assert.Equal(3, prepared.Messages!.Count);
        Assert.Equal(new ChatTurn("user", "去哪儿玩？"), prepared.Messages[^1]);
    }

    [Fact]
    public void A_task_without_the_field_prepares_its_string_prompt_as_before()
    {
        var folder = Task("""
            {"name": "plain", "kind": "span_extraction", "files": {"test": "test.jsonl"}, "answer_field": "answers", "metric": "em", "template": "问题：{question}"}
            """, """{"id": "a", "question": "哪座城市？", "answers": ["北京"], "messages": "not read"}""");
        var task = TaskLoader.Load("cuge", folder).Task;
        var prepared = task.Prepare(task.Items[0], 0);
        Assert.Equal("问题：哪座城市？", prepared.Prompt);
        Assert.Null(prepared.Messages);
    }

    [Fact]
    public void Bad_turns_are_refused_with_file_line_field_and_turn()
    {
        var folder = Task(Span("问题：{question}"),
            """{"id": "1", "question": "q", "answers": ["a"], "messages": [{"role": "user", "content": "你好"}]}""",
            """{"id": "2", "question": "q", "answers": ["a"], "messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "嗯"}, {"role": "bot", "content": "好"}]}""",
            """{"id": "3", "question": "q", "answers": ["a"]}""",
            """{"id": "4", "question": "q", "answers": ["a"], "messages": [{"role": "user", "content": 5}]}""",
            """{"id": "5", "question": "q", "answers": ["a"], "messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "b"}]}""",
            """{"id": "6", "question": "q", "answers": ["a"], "messages": []}""",
            """{"id": "7", "question": "q", "answers": ["a"], "messages": {"role": "user", "content": "a"}}""",
            """{"id": "8", "question": "q", "answers": ["a"], "messages": [{"role": "user", "content": "a", "name": "x"}]}""");
        var file = Path.Combine(folder, "test.jsonl");
        var e = Assert.Throws<TaskDataException>(() => TaskLoader.Load("cuge", folder));
        Assert.Equal(
        [
            $"{file}:2: field 'messages': item 3: role must be system, user or assistant, not 'bot'",
            $"{file}:3: field 'messages': missing",
            $"{file}:4: field 'messages': item 1: content is missing or not a string",
            $"{file}:5: field 'messages': item 2: a system turn may only come first",
            $"{file}:6: field 'messages': no turns",
            $"{file}:7: field 'messages': expected an array of {{role, content}}",
            $"{file}:8: field 'messages': item 1: unknown field 'name' (a turn has role and content)",
        ], e.Message.Split('\n'));
    }

    [Fact]
    public void With_an_empty_template_the_conversation_must_end_with_the_user()
    {
        var folder = Task(Span(""),
            """{"id": "1", "answers": ["a"], "messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好！"}]}""");
        var e = Assert.Throws<TaskDataException>(() => TaskLoader.Load("cuge", folder));
        Assert.Equal($"{Path.Combine(folder, "test.jsonl")}:1: field 'messages': item 2: the template is empty, so the last turn must be the user's, not the assistant's", e.Message);
    }

    [Fact]
    public void Multiple_choice_items_can_be_conversations_too_and_a_kind_that_cannot_says_so()
    {
        var folder = Task("""
            {"name": "mc", "kind": "multiple_choice", "files": {"test": "test.jsonl"}, "answer_field": "answer", "choices_field": "choices",
             "messages_field": "history", "template": "{question}\n{choices}\n答案："}
            """, """{"id": "1", "question": "他想去哪里？", "choices": ["北京", "上海"], "answer": "A", "history": [{"role": "user", "content": "我想去北京。"}]}""");
        var task = TaskLoader.Load("cuge", folder).Task;
        var prepared = task.Prepare(task.Items[0], 0, 1);
        Assert.Equal([new ChatTurn("user", "我想去北京。"), new ChatTurn("user", "他想去哪里？\nA. 上海\nB. 北京\n答案：")], prepared.Messages);
        Assert.Equal(1, prepared.AnswerIndex);

        var manifest = JsonSerializer.Deserialize<TaskManifest>("""
            {"name": "h", "kind": "hallucination_qa", "files": {"test": "t.jsonl"}, "answer_field": "a", "template": "{q}", "messages_field": "m"}
            """, TaskManifest.Json)!;
        var e = Assert.Throws<TaskDataException>(() => TaskKinds.Create("x", manifest, []));
        Assert.Equal("task x/h: kind 'hallucination_qa' takes no 'messages_field'", e.Message);
    }

    [Fact]
    public void A_prompt_conversation_ends_with_the_user_and_has_a_system_turn_only_first()
    {
        Assert.Null(Conversation.PromptProblem([new("system", "s"), new("assistant", "a"), new("user", "u")]));
        Assert.Equal("the conversation has no turns", Conversation.PromptProblem([]));
        Assert.Equal("item 2: the last turn must be the user's (the model writes the next one), not the assistant's",
            Conversation.PromptProblem([new("user", "u"), new("assistant", "a")]));
        Assert.Equal("item 2: a system turn may only come first", Conversation.PromptProblem([new("user", "u"), new("system", "s"), new("user", "u")]));
        Assert.Equal("item 1: role must be system, user or assistant, not 'tool'", Conversation.PromptProblem([new("tool", "t")]));
    }
}
