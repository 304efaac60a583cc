using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Runner.Backends.OpenAiCompatible;
using Evals.Runner.Backends.Onnx.Tokenization;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using OpenAI;
using OpenAI.Chat;

namespace Evals.Web.Tests.V1;

/// <summary>A tiny ONNX model and a baseline registered, keys created, and the real web app serving them on /v1.</summary>
public sealed class V1Fixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";
    public string ModelFolder { get; } = Path.Combine(Path.GetTempPath(), $"evals-v1-tiny-{Guid.NewGuid():N}");
    public string Key { get; private set; } = "";
    public string SlowKey { get; } = ApiKey.NewKey();
    public string FeedbackKey { get; } = ApiKey.NewKey();
    public WebApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.SharedAsync();
        ConnectionString = await cluster.CreateDatabaseAsync();
        TinyModelWriter.Write(ModelFolder, 7);
        await using (var db = Migrator.CreateContext(ConnectionString))
        {
            db.Models.Add(new Model { Name = "tiny", Kind = "onnx", Spec = $"onnx:{ModelFolder}" });
            db.Models.Add(new Model { Name = "first", Kind = "baseline", Spec = "baseline:first" });
            db.Models.Add(new Model { Name = "tiny-raw", Kind = "onnx", Spec = $"onnx:{ModelFolder}?chat=off" });
            db.ApiKeys.Add(new ApiKey { Name = "slow", Scope = "v1", Hash = ApiKey.HashOf(SlowKey), Prefix = SlowKey[..10], RequestsPerMinute = 2 });
            db.ApiKeys.Add(new ApiKey { Name = "feedback", Scope = "feedback", Hash = ApiKey.HashOf(FeedbackKey), Prefix = FeedbackKey[..10] });
            await db.SaveChangesAsync();
        }
        // The documented way: `evals keys create` prints the key once, as its last line.
        var created = await CliProcess.RunAsync(Environment(), TimeSpan.FromMinutes(1), "keys", "create", "--name", "tests", "--scope", "v1");
        Assert.True(created.ExitCode == 0, created.ToString());
        Key = created.StdOut.TrimEnd().Split('\n')[^1].Trim();
        Assert.StartsWith(ApiKey.KeyPrefix, Key);
        // Runs started by the tests execute in the CLI's own worker, not in the web node.
        App = await WebApp.StartAsync(ConnectionString, new Dictionary<string, string> { ["Runner__Enabled"] = "false" });
    }

    public Dictionary<string, string> Environment() => new()
    {
        ["ConnectionStrings__Evals"] = ConnectionString,
        ["Runner__CheckinIntervalMs"] = "1000",
        ["EVALS_V1_KEY"] = Key,
    };

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        try { Directory.Delete(ModelFolder, recursive: true); } catch (IOException) { }
    }
}

public sealed class V1ApiTests(V1Fixture fixture) : IClassFixture<V1Fixture>
{
    private Uri V1 => new(fixture.App.Client.BaseAddress!, "v1/");

    private ChatClient Chat(string model) => new(model, new ApiKeyCredential(fixture.Key), new OpenAIClientOptions { Endpoint = V1 });

    /// <summary>Tokens of one user message in the tiny model's ChatML template, with the assistant turn opened.</summary>
    private int PromptTokens(string user) => Tokenizer.Load(Path.Combine(fixture.ModelFolder, "tokenizer.json"))
        .Encode($"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n").Length;

    [Fact]
    public async Task The_OpenAI_SDK_lists_models_and_gets_plain_and_streamed_completions()
    {
        var client = new OpenAIClient(new ApiKeyCredential(fixture.Key), new OpenAIClientOptions { Endpoint = V1 });
        var models = (await client.GetOpenAIModelClient().GetModelsAsync()).Value.Select(m => m.Id).ToList();
        Assert.Contains("tiny", models);
        Assert.Contains("first", models);

        var chat = Chat("tiny");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 };
        var completion = (await chat.CompleteChatAsync([new UserChatMessage("今天天气怎么样？")], options)).Value;
        var text = Assert.Single(completion.Content).Text;
        Assert.NotEmpty(text);
        Assert.Equal(PromptTokens("今天天气怎么样？"), completion.Usage.InputTokenCount);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 16);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);

        var streamed = new StringBuilder();
        var updates = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("今天天气怎么样？")], options))
        {
            updates++;
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            usage = update.Usage ?? usage;
            finish = update.FinishReason ?? finish;
        }
        Assert.Equal(text, streamed.ToString());
        Assert.True(updates > 3, $"{updates} updates: the text should arrive in pieces");
        Assert.Equal(completion.FinishReason, finish);
        Assert.Equal(completion.Usage.OutputTokenCount, usage!.OutputTokenCount);
    }

    [OpenAiClientFact]
    public async Task The_openai_npm_package_is_a_second_client()
    {
        var prefix = OpenAiClientFactAttribute.Folder();
        var script = Path.Combine(AppContext.BaseDirectory, "V1", "openai-client.cjs");
        var result = await RunAsync("node", [script], new()
        {
            ["NODE_PATH"] = Path.Combine(prefix, "node_modules"),
            ["EVALS_V1_KEY"] = fixture.Key,
            ["EVALS_V1_URL"] = V1.ToString().TrimEnd('/'),
        }, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = JsonDocument.Parse(result.StdOut);
        var root = json.RootElement;
        Assert.Contains("tiny", root.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        var content = root.GetProperty("content").GetString();
        Assert.False(string.IsNullOrEmpty(content));
        Assert.Equal(content, root.GetProperty("streamed").GetString());
        Assert.Equal(PromptTokens("你好，世界"), root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.InRange(root.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, 12);
        Assert.Equal(root.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), root.GetProperty("stream_usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(404, root.GetProperty("unknown_status").GetInt32());
        Assert.Equal("model_not_found", root.GetProperty("unknown_code").GetString());
    }

    [Fact]
    public async Task Errors_have_OpenAIs_shape_and_status_codes()
    {
        async Task<(HttpStatusCode Status, JsonElement Error, HttpResponseMessage Response)> PostAsync(string? key, string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(V1, "chat/completions")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var response = await fixture.App.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var json = JsonDocument.Parse(text).RootElement;
            var error = default(JsonElement);
            Assert.True(response.IsSuccessStatusCode || json.TryGetProperty("error", out error), $"{body} → {(int)response.StatusCode}: {text}");
            return (response.StatusCode, error, response);
        }
        const string ok = """{"model": "first", "messages": [{"role": "user", "content": "你好"}]}""";

        var (status, error, _) = await PostAsync(null, ok);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        (status, _, _) = await PostAsync("evk-not-a-key", ok);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        (status, error, _) = await PostAsync(fixture.FeedbackKey, ok);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("scope", error.GetProperty("message").GetString());

        (status, error, _) = await PostAsync(fixture.Key, """{"model": "nope", "messages": [{"role": "user", "content": "x"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());

        foreach (var (body, param) in new[]
        {
            ("""{"messages": [{"role": "user", "content": "x"}]}""", "model"),
            ("""{"model": "first", "messages": []}""", "messages"),
            ("""{"model": "first", "messages": [{"role": "robot", "content": "x"}]}""", "messages[0].role"),
            ("""{"model": "first", "messages": [{"role": "user", "content": 42}]}""", "messages[0].content"),
            ("""{"model": "first", "messages": [{"role": "user", "content": "x"}], "temperature": 3}""", "temperature"),
            ("""{"model": "first", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}""", "max_tokens"),
            ("""{"model": "first", "messages": [{"role": "user", "content": "x"}], "n": 2}""", "n"),
            ("""{"model": "first", "messages": [{"role": "user", "content": "x"}], "stop": 5}""", "stop"),
            ("""{"model": "first", "messages": [""", "body"),
        })
        {
            (status, error, _) = await PostAsync(fixture.Key, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {status}");
            Assert.Equal(param, error.GetProperty("param").GetString());
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        }

        // A key limited to 2 requests a minute gets a 429 with Retry-After on its third; other keys are unaffected.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(fixture.SlowKey, ok)).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(fixture.SlowKey, ok)).Status);
        var (limited, limitError, response) = await PostAsync(fixture.SlowKey, ok);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited);
        Assert.Equal("rate_limit_exceeded", limitError.GetProperty("code").GetString());
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(fixture.Key, ok)).Status);
    }

    /// <summary>
    /// Issue 13, test 3: one multi-turn item asked in-process and through <c>openai:</c> against this server's /v1, which
    /// applies the same chat template to every turn: the same prompt tokens, and (greedy) the same reply.
    /// </summary>
    [Fact]
    public async Task A_conversation_asked_in_process_and_through_openai_against_v1_gives_the_same_prompt_tokens_and_reply()
    {
        IReadOnlyList<ChatTurn> turns =
            [new("system", "你是导游。"), new("user", "知道保和殿吗？"), new("assistant", "知道呀，北京故宫中的一座殿宇式建筑。"), new("user", "游玩需要多长时间？")];
        var request = new GenerateRequest(new TaskContext("cuge/kdconv", null), "3-3", Conversation.ToStored(turns), [],
            new DecodingOptions(MaxTokens: 12), Messages: turns);

        await using var local = OnnxBackend.Create(ModelSpec.Parse($"onnx:{fixture.ModelFolder}"));
        var direct = await local.GenerateAsync(request);
        Assert.Equal(local.Folder.Tokenizer.Encode(local.RenderPrompt(request)).Length, direct.PromptTokens);
        Assert.NotEmpty(direct.Text);

        const string keyVariable = "EVALS_TEST_MULTITURN_KEY";
        Environment.SetEnvironmentVariable(keyVariable, fixture.Key);
        foreach (var stream in new[] { false, true })
        {
            await using var remote = OpenAiCompatibleBackend.Create(ModelSpec.Parse(
                $"openai:{V1.ToString().TrimEnd('/')}?model=tiny&key_env={keyVariable}&stream={(stream ? "true" : "false")}&retries=0"));
            var served = await remote.GenerateAsync(request);
            Assert.Equal(direct.PromptTokens, served.PromptTokens);
            Assert.Equal(direct.Text, served.Text);
            Assert.Equal(direct.CompletionTokens, served.CompletionTokens);
        }

        // Before conversations, /v1 flattened the turns into one transcript and the engine wrapped that as one user turn.
        var flattened = string.Concat(turns.Select(t => $"{t.Role}: {t.Content}\n")) + "assistant: ";
        Assert.NotEqual(local.Folder.Tokenizer.Encode(local.RenderPrompt(flattened)).Length, direct.PromptTokens);
    }

    [Fact]
    public async Task A_conversation_v1_cannot_answer_is_a_400_naming_messages()
    {
        var (status, body) = await PostAsync("chat/completions", """
            {"model": "tiny", "messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好！"}]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("messages", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("the last turn must be the user's", body.GetProperty("error").GetProperty("message").GetString());

        (status, body) = await PostAsync("chat/completions", """
            {"model": "tiny", "messages": [{"role": "tool", "content": "42"}, {"role": "user", "content": "你好"}]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("messages[0].role", body.GetProperty("error").GetProperty("param").GetString());

        // Served without its chat template, the model has no right way to join turns: a 400, not a server error.
        (status, body) = await PostAsync("chat/completions", """
            {"model": "tiny-raw", "max_tokens": 4, "messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好！"}, {"role": "user", "content": "去哪儿？"}]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("messages", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("chat=off", body.GetProperty("error").GetProperty("message").GetString());
        // A lone user message is still the raw prompt it always was for such a model.
        (status, body) = await PostAsync("chat/completions", """{"model": "tiny-raw", "max_tokens": 4, "messages": [{"role": "user", "content": "你好"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(V1, path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Key);
        var response = await fixture.App.Client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task An_openai_run_against_our_v1_scores_the_same_as_the_model_run_directly()
    {
        async Task<(JsonElement Summary, Dictionary<string, string?> Outputs)> RunAsync(string model, params string[] extra)
        {
            var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "run.json");
            var result = await CliProcess.RunAsync(fixture.Environment(), TimeSpan.FromMinutes(4),
                ["run", "--model", model, "--suite", "smoke", "--mode", "generate", "--limit", "2", "--wait", "--json", json, .. extra]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var summary = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            var runId = summary.GetProperty("run_id").GetGuid();
            await using var db = Migrator.CreateContext(fixture.ConnectionString);
            var outputs = await db.Results.AsNoTracking().Where(r => r.RunId == runId).ToDictionaryAsync(r => r.ItemKey + "@" + r.TaskId, r => r.RawOutput);
            return (summary, outputs);
        }

        var direct = await RunAsync("tiny");
        var remote = await RunAsync($"openai:{V1.ToString().TrimEnd('/')}?model=tiny&key_env=EVALS_V1_KEY", "--no-cache");
        Assert.Equal("generate", remote.Summary.GetProperty("mode").GetString());
        Assert.Equal(6, remote.Outputs.Count);
        Assert.Equal(direct.Outputs, remote.Outputs);
        foreach (var task in direct.Summary.GetProperty("tasks").EnumerateObject())
        {
            var other = remote.Summary.GetProperty("tasks").GetProperty(task.Name);
            Assert.Equal(task.Value.GetProperty("score").GetDouble(), other.GetProperty("score").GetDouble());
            Assert.Equal(task.Value.GetProperty("outcomes").GetRawText(), other.GetProperty("outcomes").GetRawText());
        }
        Assert.Equal(0, remote.Summary.GetProperty("failed_items").GetInt32());
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostCompletionsAsync(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(V1, "completions")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Key);
        var response = await fixture.App.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Legacy_completions_echo_the_prompt_with_token_logprobs_and_character_offsets()
    {
        const string prompt = "问题：今天天气怎么样？答案：A";
        var (status, body) = await PostCompletionsAsync($$"""{"model": "tiny", "prompt": "{{prompt}}", "max_tokens": 0, "echo": true, "logprobs": 2}""");
        Assert.True(status == HttpStatusCode.OK, body.GetRawText());
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(prompt, choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var logprobs = choice.GetProperty("logprobs");
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        var values = logprobs.GetProperty("token_logprobs").EnumerateArray().ToList();
        var tops = logprobs.GetProperty("top_logprobs").EnumerateArray().ToList();
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToList();
        var usage = body.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), tokens.Count);
        Assert.Equal(0, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(Tokenizer.Load(Path.Combine(fixture.ModelFolder, "tokenizer.json")).Encode(prompt).Length, tokens.Count);
        Assert.Equal([tokens.Count, tokens.Count, tokens.Count], new[] { values.Count, tops.Count, offsets.Count });
        Assert.Equal(JsonValueKind.Null, values[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, tops[0].ValueKind);
        Assert.Equal(0, offsets[0]);
        for (var i = 1; i < tokens.Count; i++)
        {
            var lp = values[i].GetDouble();
            Assert.InRange(lp, double.NegativeInfinity, 0);
            Assert.True(offsets[i] >= offsets[i - 1], $"offsets go back at token {i}: {string.Join(",", offsets)}");
            // The best alternative is at least as likely as the token that is there.
            var alternatives = tops[i].EnumerateObject().Select(p => p.Value.GetDouble()).ToList();
            Assert.InRange(alternatives.Count, 1, 2);
            Assert.True(alternatives.Max() >= lp - 1e-9, $"token {i}: {lp} above its top alternatives {string.Join(",", alternatives)}");
        }
        // Whole-character tokens sit at their offsets in the text; the last one ends it.
        var whole = tokens.Select((t, i) => (t, i)).Where(p => !p.t.StartsWith("bytes:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(whole);
        foreach (var (token, i) in whole) Assert.Equal(token, prompt.Substring(offsets[i], token.Length));
        Assert.Equal("A", tokens[^1]);
        Assert.Equal(prompt.Length - 1, offsets[^1]);

        // Without echo: only the generated tokens, offsets into the generated text, counted in usage.
        (status, body) = await PostCompletionsAsync("""{"model": "tiny", "prompt": "问题：今天天气怎么样？", "max_tokens": 6, "temperature": 0, "logprobs": 0}""");
        Assert.True(status == HttpStatusCode.OK, body.GetRawText());
        choice = body.GetProperty("choices")[0];
        var generated = choice.GetProperty("logprobs").GetProperty("tokens").GetArrayLength();
        Assert.Equal(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), generated);
        Assert.InRange(generated, 1, 6);
        Assert.Equal(0, choice.GetProperty("logprobs").GetProperty("text_offset")[0].GetInt32());
        Assert.NotEqual(JsonValueKind.Null, choice.GetProperty("logprobs").GetProperty("token_logprobs")[0].ValueKind);

        // Streamed: the same text in pieces, the echoed prompt first.
        var plain = (await PostCompletionsAsync("""{"model": "tiny", "prompt": "你好", "max_tokens": 8, "temperature": 0, "echo": true}""")).Body;
        using var streamRequest = new HttpRequestMessage(HttpMethod.Post, new Uri(V1, "completions"))
        {
            Content = new StringContent("""{"model": "tiny", "prompt": "你好", "max_tokens": 8, "temperature": 0, "echo": true, "stream": true, "stream_options": {"include_usage": true}}""", Encoding.UTF8, "application/json"),
        };
        streamRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Key);
        var streamed = await fixture.App.Client.SendAsync(streamRequest);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        var events = (await streamed.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.StartsWith("你好", chunks[0].GetProperty("choices")[0].GetProperty("text").GetString());
        var text = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(plain.GetProperty("choices")[0].GetProperty("text").GetString(), text);
        Assert.Equal(plain.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Legacy_completion_errors_name_the_field()
    {
        foreach (var (body, param, says) in new[]
        {
            ("""{"model": "tiny", "prompt": "x", "max_tokens": 0}""", "max_tokens", "echo"),
            ("""{"model": "tiny", "prompt": "x", "max_tokens": -1, "echo": true}""", "max_tokens", "[0, 32768]"),
            ("""{"model": "tiny", "prompt": "x", "logprobs": 6}""", "logprobs", "[0, 5]"),
            ("""{"model": "tiny", "prompt": "x", "logprobs": true}""", "logprobs", "integer"),
            ("""{"model": "tiny", "prompt": ["a", "b"]}""", "prompt", "one string"),
            ("""{"model": "tiny", "prompt": [1, 2]}""", "prompt", "token-id"),
            ("""{"model": "tiny"}""", "prompt", "required"),
            ("""{"model": "tiny", "prompt": "x", "echo": "yes"}""", "echo", "boolean"),
            ("""{"model": "tiny", "prompt": "x", "temperature": 5}""", "temperature", "[0, 2]"),
            ("""{"prompt": "x"}""", "model", "required"),
            // A baseline has no token distribution: asking it for logprobs names the field and the reason.
            ("""{"model": "first", "prompt": "x", "max_tokens": 0, "echo": true, "logprobs": 0}""", "logprobs", "cannot give token log-probabilities"),
        })
        {
            var (status, error) = await PostCompletionsAsync(body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {status} {error}");
            Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
            Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
            Assert.Contains(says, error.GetProperty("error").GetProperty("message").GetString());
        }
        var (unknown, missing) = await PostCompletionsAsync("""{"model": "nope", "prompt": "x"}""");
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("model_not_found", missing.GetProperty("error").GetProperty("code").GetString());
        // Without logprobs a baseline still completes (it answers as it would a prompt), echoing when asked.
        var (ok, plain) = await PostCompletionsAsync("""{"model": "first", "prompt": "答案：", "echo": true, "max_tokens": 4}""");
        Assert.True(ok == HttpStatusCode.OK, plain.GetRawText());
        Assert.StartsWith("答案：", plain.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
    }

    [Fact]
    public async Task An_openai_loglikelihood_run_against_our_v1_scores_the_same_as_the_model_run_directly_and_a_rerun_calls_nothing()
    {
        await using var proxy = await CountingProxy.StartAsync(fixture.App.Client.BaseAddress!);
        async Task<(JsonElement Summary, List<(string Key, string? Raw, string Outcome, string? Details)> Rows)> RunAsync(string model, params string[] extra)
        {
            var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "run.json");
            var result = await CliProcess.RunAsync(fixture.Environment(), TimeSpan.FromMinutes(4),
                ["run", "--model", model, "--suite", "smoke", "--mode", "loglikelihood", "--limit", "4", "--wait", "--json", json, .. extra]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var summary = JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone();
            var runId = summary.GetProperty("run_id").GetGuid();
            await using var db = Migrator.CreateContext(fixture.ConnectionString);
            var rows = await db.Results.AsNoTracking().Where(r => r.RunId == runId).OrderBy(r => r.TaskId).ThenBy(r => r.ItemKey)
                .Select(r => new { Key = r.ItemKey + "@" + r.TaskId, r.RawOutput, r.Outcome, r.Details }).ToListAsync();
            return (summary, rows.Select(r => (r.Key, r.RawOutput, r.Outcome, r.Details)).ToList());
        }
        static void SameScores(JsonElement expected, JsonElement actual)
        {
            foreach (var task in expected.GetProperty("tasks").EnumerateObject())
            {
                var other = actual.GetProperty("tasks").GetProperty(task.Name);
                Assert.Equal(task.Value.GetProperty("score").GetDouble(), other.GetProperty("score").GetDouble());
                Assert.Equal(task.Value.GetProperty("outcomes").GetRawText(), other.GetProperty("outcomes").GetRawText());
            }
        }

        var direct = await RunAsync("tiny");
        var spec = $"openai:{proxy.BaseUrl}v1?model=tiny&key_env=EVALS_V1_KEY";
        var remote = await RunAsync(spec);
        Assert.Equal("loglikelihood", remote.Summary.GetProperty("mode").GetString());
        Assert.Equal(0, remote.Summary.GetProperty("failed_items").GetInt32());
        Assert.Equal(direct.Rows.Count, remote.Rows.Count);
        SameScores(direct.Summary, remote.Summary);
        var choiceItems = 0;
        foreach (var (mine, theirs) in direct.Rows.Zip(remote.Rows))
        {
            Assert.Equal(mine.Key, theirs.Key);
            Assert.Equal(mine.Outcome, theirs.Outcome);
            using var details = JsonDocument.Parse(theirs.Details!);
            var mode = details.RootElement.GetProperty("mode").GetString();
            Assert.Contains(mode, new[] { "loglikelihood", "generate" });
            Assert.Equal(mode, JsonDocument.Parse(mine.Details!).RootElement.GetProperty("mode").GetString());
            if (mode != "loglikelihood") continue;
            choiceItems++;
            // Each choice's log-likelihood over HTTP equals the in-process one (printed to 4 decimals).
            var a = mine.Raw!.Split(' ').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            var b = theirs.Raw!.Split(' ').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(a.Count, b.Count);
            for (var i = 0; i < a.Count; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 2e-4, $"{mine.Key} choice {i}: direct {a[i]}, remote {b[i]}");
        }
        Assert.True(choiceItems >= 8, $"{choiceItems} items were scored by log-likelihood");
        // One probe, then one echo request per choice.
        Assert.True(proxy.Count("/v1/completions") > choiceItems, $"{proxy.Count("/v1/completions")} calls");

        // The same run again is answered from the response cache: nothing reaches the server.
        proxy.Reset();
        var again = await RunAsync(spec);
        Assert.Equal(0, proxy.Total);
        SameScores(remote.Summary, again.Summary);
        Assert.Equal(again.Rows.Count, again.Summary.GetProperty("usage").GetProperty("cached_items").GetInt32());
    }

    private static async Task<(int ExitCode, string StdOut, string Output)> RunAsync(string file, string[] args, Dictionary<string, string> env, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
    }
}
