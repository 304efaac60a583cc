using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Caching;

namespace Evals.Runner.Tests.Backends;

/// <summary>Response cache keys: a single-string request keeps the key it had before conversations existed.</summary>
public sealed class CacheKeyTests
{
    private const string Model = "openai:http://127.0.0.1:8000/v1?model=qwen";
    private static readonly GenerateRequest Single = new(new TaskContext("clue/afqmc", 0), "17", "问题：你好吗？\n答案：", ["\n"],
        new DecodingOptions(MaxTokens: 32), ["是", "否"]);

    [Fact]
    public void A_single_string_request_keeps_its_key()
    {
        Assert.Equal("openai:http://127.0.0.1:8000/v1?model=qwen\ngenerate\n"
            + """{"task":{"task_name":"clue/afqmc","majority_choice":0},"item_id":"17","prompt":"\u95EE\u9898\uFF1A\u4F60\u597D\u5417\uFF1F\n\u7B54\u6848\uFF1A","stop_sequences":["\n"],"decoding":{"temperature":0,"top_p":1,"max_tokens":32},"choices":["\u662F","\u5426"]}""",
            CachingBackend.GenerateKeyText(Model, Single));
        Assert.Equal(KeyPinned, CachingBackend.KeyOf(CachingBackend.GenerateKeyText(Model, Single)));
    }

    [Fact]
    public void A_conversation_is_keyed_on_every_turn_and_never_on_its_stored_text_alone()
    {
        IReadOnlyList<ChatTurn> turns = [new("system", "你是导游。"), new("user", "我想去北京。"), new("assistant", "北京很好玩。"), new("user", "去哪儿？")];
        var conversation = Single with { Prompt = Conversation.ToStored(turns), Messages = turns };
        var text = CachingBackend.GenerateKeyText(Model, conversation);
        Assert.EndsWith("""
            "messages":[{"role":"system","content":"\u4F60\u662F\u5BFC\u6E38\u3002"},{"role":"user","content":"\u6211\u60F3\u53BB\u5317\u4EAC\u3002"},{"role":"assistant","content":"\u5317\u4EAC\u5F88\u597D\u73A9\u3002"},{"role":"user","content":"\u53BB\u54EA\u513F\uFF1F"}]}
            """, text);

        var key = CachingBackend.KeyOf(text);
        // The same stored text without the turns (a string prompt that happens to read like one) is another request.
        Assert.NotEqual(key, CachingBackend.KeyOf(CachingBackend.GenerateKeyText(Model, conversation with { Messages = null })));
        // An earlier turn changed, the final user turn the same: another key.
        IReadOnlyList<ChatTurn> other = [turns[0], new("user", "我想去上海。"), turns[2], turns[3]];
        Assert.NotEqual(key, CachingBackend.KeyOf(CachingBackend.GenerateKeyText(Model, conversation with { Messages = other })));
        // The user's one turn given as a conversation is not the string prompt's key (the /v1 server sends a lone user message as a string).
        Assert.NotEqual(KeyPinned, CachingBackend.KeyOf(CachingBackend.GenerateKeyText(Model, Single with { Messages = [new("user", Single.Prompt)] })));

        var scoring = new ChoiceRequest(Single.Task, "17", Conversation.ToStored(turns), ["是", "否"], turns);
        Assert.NotEqual(CachingBackend.KeyOf(CachingBackend.ScoreKeyText(Model, scoring)),
            CachingBackend.KeyOf(CachingBackend.ScoreKeyText(Model, scoring with { Messages = other })));
        Assert.DoesNotContain("messages", CachingBackend.ScoreKeyText(Model, scoring with { Messages = null }));
    }

    /// <summary>
    /// Computed at commit 1070c4b (before conversations), and independently from the request JSON below with Python's
    /// hashlib: existing cache entries stay valid only while this holds.
    /// </summary>
    private const string KeyPinned = "5be6a1bc12ff900084662f230a87fc10bf4511b8e424f6672def14a6d1ec417b";
}
