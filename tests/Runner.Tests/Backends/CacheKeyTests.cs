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

    /// <summary>
    /// Computed at commit 1070c4b (before conversations), and independently from the request JSON below with Python's
    /// hashlib: existing cache entries stay valid only while this holds.
    /// </summary>
    private const string KeyPinned = "5be6a1bc12ff900084662f230a87fc10bf4511b8e424f6672def14a6d1ec417b";
}
