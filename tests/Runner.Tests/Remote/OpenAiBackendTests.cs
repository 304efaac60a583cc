using System.Diagnostics;
using System.Text.Json;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends;
using Evals.Runner.Backends.OpenAiCompatible;

namespace Evals.Runner.Tests.Remote;

/// <summary>The openai: backend against a real HTTP server on loopback, in-process (no database).</summary>
public sealed class OpenAiBackendTests : IAsyncLifetime
{
    private const string KeyVariable = "EVALS_TEST_BACKEND_KEY";
    private const string Key = "sk-test-never-print-me-0123456789";
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(KeyVariable, Key);
        _server = await FakeOpenAiServer.StartAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    // A generous timeout, as the first request of a test pays for JIT on both sides; the hang test sets its own.
    private OpenAiCompatibleBackend Backend(string extra = "", int retries = 2, double timeout = 10) =>
        OpenAiCompatibleBackend.Create(ModelSpec.Parse($"openai:{_server.BaseUrl}?model=fake&key_env={KeyVariable}&timeout_s={timeout}&retries={retries}&retry_delay_ms=20{extra}"));

    private static GenerateRequest Request(string prompt) =>
        new(new TaskContext("t/x", null), "i1", prompt, ["\n"], new DecodingOptions());

    [Fact]
    public async Task Log_likelihood_over_a_conversation_is_refused_before_any_call()
    {
        await using var backend = Backend();
        IReadOnlyList<ChatTurn> turns = [new("user", "你好"), new("assistant", "你好！"), new("user", "去哪儿玩？")];
        var e = await Assert.ThrowsAsync<NotSupportedException>(() =>
            backend.ScoreChoicesAsync(new ChoiceRequest(new TaskContext("t/x", null), "i1", Conversation.ToStored(turns), ["故宫", "长城"], turns)));
        Assert.Contains("log-likelihood over a conversation needs the model's chat template", e.Message);
        Assert.Contains("--mode generate", e.Message);
        Assert.Equal(0, _server.Calls);
    }

    [Fact]
    public void A_conversation_is_sent_as_one_message_per_turn_in_order()
    {
        IReadOnlyList<ChatTurn> turns = [new("system", "你是导游。"), new("user", "你好"), new("assistant", "你好！"), new("user", "去哪儿玩？")];
        using var body = JsonDocument.Parse(ChatWire.Request("m", turns, 0, 16, null, null, []).ToString());
        Assert.Equal(turns, body.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatTurn(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)));
        // A string prompt is still the one user message it always was.
        Assert.Equal(ChatWire.Request("m", "你好", 0, 16, null, null, []).ToString(),
            ChatWire.Request("m", [new ChatTurn("user", "你好")], 0, 16, null, null, []).ToString());
    }

    [Fact]
    public async Task An_answer_carries_text_usage_cost_and_the_key_as_a_bearer_token()
    {
        await using var backend = Backend("&price_in=2&price_out=4");
        var generation = await backend.GenerateAsync(Request("你好"));
        Assert.Equal(FakeOpenAiServer.AnswerFor("你好"), generation.Text);
        Assert.Equal((2, 1), (generation.PromptTokens, generation.CompletionTokens));
        Assert.Equal((2 * 2 + 1 * 4) / 1e6, generation.Stats!.Cost, 12);
        Assert.Equal($"Bearer {Key}", Assert.Single(_server.Log).Authorization);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_and_a_time_to_first_token()
    {
        await using var backend = Backend("&stream=true");
        var generation = await backend.GenerateAsync(Request("流式"));
        Assert.Equal(FakeOpenAiServer.AnswerFor("流式"), generation.Text);
        Assert.Equal("stop", generation.FinishReason);
        Assert.Equal(2, generation.PromptTokens);
        Assert.NotNull(generation.Stats!.TimeToFirstTokenMs);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_servers_Retry_After_and_then_succeeds()
    {
        _server.FaultFor = _ => Fault.RateLimitedOnce;
        await using var backend = Backend();
        var generation = await backend.GenerateAsync(Request("限流"));
        Assert.Equal(FakeOpenAiServer.AnswerFor("限流"), generation.Text);
        var log = _server.Log;
        Assert.Equal(2, log.Count);
        // Retry-After: 1 was honoured although the backoff alone would have waited 20 ms.
        Assert.True(log[1].At - log[0].At >= TimeSpan.FromMilliseconds(950), $"second attempt after {(log[1].At - log[0].At).TotalMilliseconds} ms");
    }

    [Theory]
    [InlineData(Fault.ServerError, "HTTP 500")]
    [InlineData(Fault.Hang, "no answer within 2 s")]
    [InlineData(Fault.MalformedJson, "malformed response")]
    public async Task A_fault_that_persists_fails_after_all_attempts_with_its_reason_and_without_the_key(Fault fault, string reason)
    {
        _server.FaultFor = _ => fault;
        await using var backend = Backend(timeout: fault == Fault.Hang ? 2 : 10);
        var e = await Assert.ThrowsAsync<RemoteCallException>(() => backend.GenerateAsync(Request("坏了")));
        Assert.Contains(reason, e.Message);
        Assert.Contains("after 3 attempt(s)", e.Message);
        Assert.DoesNotContain(Key, e.ToString());
        // The last attempt may still be on its way into the server when the client gives up on it (a hang under load).
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (_server.Calls < 3 && watch.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(50); // a deadline, not a bound: it ends at the third call
        Assert.Equal(3, _server.Calls);
    }

    [Fact]
    public async Task A_dropped_connection_is_retried()
    {
        _server.FaultFor = _ => Fault.DropOnce;
        await using var backend = Backend();
        Assert.Equal(FakeOpenAiServer.AnswerFor("断开"), (await backend.GenerateAsync(Request("断开"))).Text);
        Assert.Equal(2, _server.Calls);
    }

    [Fact]
    public async Task A_providers_content_inspection_error_is_a_refusal_and_is_not_retried()
    {
        _server.FaultFor = _ => Fault.Refusal;
        await using var backend = Backend();
        var e = await Assert.ThrowsAsync<ModelRefusedException>(() => backend.GenerateAsync(Request("敏感")));
        Assert.Contains("data_inspection_failed", e.Message);
        Assert.Equal(1, _server.Calls);
    }

    [Theory]
    [InlineData("")]
    [InlineData("&refusal_codes=something_else")]
    public async Task A_vendor_code_outside_the_refusal_list_is_an_error_and_not_retried(string extra)
    {
        _server.FaultFor = _ => Fault.VendorRefusal;
        await using var backend = Backend(extra);
        var e = await Assert.ThrowsAsync<RemoteCallException>(() => backend.GenerateAsync(Request("风控")));
        Assert.Contains("HTTP 403", e.Message);
        Assert.Contains("after 1 attempt(s)", e.Message);
        Assert.Equal(1, _server.Calls);
    }

    [Theory]
    [InlineData("&refusal_codes=risk_control_blocked", "code risk_control_blocked")]
    [InlineData("&refusal_codes=RISK_CONTROL_BLOCKED", "code risk_control_blocked")]
    [InlineData("&refusal_codes=%20other%20,10086", "type 10086")]
    public async Task Refusal_codes_turn_a_vendors_own_code_into_a_refusal_and_keep_the_default_ones(string extra, string named)
    {
        _server.FaultFor = prompt => prompt == "默认" ? Fault.Refusal : Fault.VendorRefusal;
        await using var backend = Backend(extra);
        var vendor = await Assert.ThrowsAsync<ModelRefusedException>(() => backend.GenerateAsync(Request("风控")));
        Assert.Equal($"the provider refused (HTTP 403, {named}): 风控拦截", vendor.Message);
        // The option adds to the built-in list (DashScope's data_inspection_failed), it does not replace it.
        var builtIn = await Assert.ThrowsAsync<ModelRefusedException>(() => backend.GenerateAsync(Request("默认")));
        Assert.Contains("data_inspection_failed", builtIn.Message);
        Assert.Equal(2, _server.Calls);
    }

    [Fact]
    public void Probe_false_submits_an_endpoint_that_is_down_and_probe_true_refuses_it()
    {
        // Port 1 on loopback: nothing listens there (binding it needs privileges no test takes).
        const string down = "openai:http://127.0.0.1:1/v1?model=later";
        var factory = new BackendFactory();
        Assert.Contains("cannot reach 127.0.0.1:1 (connection refused); add probe=false to submit anyway",
            Assert.Throws<ModelSpecException>(() => factory.Describe(ModelSpec.Parse(down))).Message);
        Assert.Contains("cannot reach 127.0.0.1:1", Assert.Throws<ModelSpecException>(() => factory.Describe(ModelSpec.Parse(down + "&probe=true"))).Message);
        Assert.Equal(new ModelCapabilities(LogLikelihood: false, Generate: true, MaxConcurrency: 8, LogLikelihoodIfAsked: true),
            factory.Describe(ModelSpec.Parse(down + "&probe=false")));
        Assert.Contains("probe='no' is not true or false", Assert.Throws<ModelSpecException>(() => factory.Describe(ModelSpec.Parse(down + "&probe=no"))).Message);
    }

    [Fact]
    public async Task Probe_false_changes_nothing_about_calls_to_an_endpoint_that_is_up()
    {
        var spec = ModelSpec.Parse($"openai:{_server.BaseUrl}?model=fake&key_env={KeyVariable}&probe=false");
        new BackendFactory().Describe(spec);
        await using var backend = OpenAiCompatibleBackend.Create(spec);
        Assert.Equal(FakeOpenAiServer.AnswerFor("探测"), (await backend.GenerateAsync(Request("探测"))).Text);
        Assert.Equal(1, _server.Calls);
    }

    [Fact]
    public async Task The_rpm_limit_spaces_requests()
    {
        await using var backend = Backend("&rpm=600&max_concurrency=4");
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => backend.GenerateAsync(Request($"rpm {i}"))));
        // 600 per minute is one per 100 ms: the first goes at once, the other five wait their turn.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(450), $"6 requests took {watch.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Time_spent_waiting_for_a_slot_does_not_count_against_a_calls_timeout()
    {
        // One slot, eight calls of 0.5 s each: the last waits about 3.5 s in line, well past timeout_s=2. Had the timeout
        // covered the wait, calls would be cut off (some after they were sent) and sent again, or fail.
        _server.Latency = TimeSpan.FromMilliseconds(500);
        await using var backend = Backend("&max_concurrency=1", timeout: 2);
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => backend.GenerateAsync(Request($"排队 {i}"))));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => FakeOpenAiServer.AnswerFor($"排队 {i}")), answers.Select(a => a.Text));
        Assert.Equal(8, _server.Calls);
        Assert.Equal(1, _server.MaxInFlight);
    }

    [Fact]
    public async Task An_endpoint_that_keeps_failing_opens_the_circuit_and_is_called_no_more()
    {
        _server.FaultFor = _ => Fault.ServerError;
        await using var backend = Backend(retries: 0);
        var errors = new List<string>();
        for (var i = 0; i < 25; i++)
            errors.Add((await Assert.ThrowsAsync<RemoteCallException>(() => backend.GenerateAsync(Request($"熔断 {i}")))).Message);
        // The breaker opens after 20 calls of which at least 80% failed; the rest never leave this process.
        Assert.Equal(20, _server.Calls);
        Assert.Contains("circuit open", errors[^1]);
    }

    [Theory]
    [InlineData("openai:not-a-url?model=x", "is not an http(s) base URL")]
    [InlineData("openai:http://127.0.0.1:1/v1", "option model= is required")]
    [InlineData("openai:http://127.0.0.1:1/v1?model=x&colour=red", "unknown option(s) colour")]
    [InlineData("openai:http://127.0.0.1:1/v1?model=x&max_concurrency=0", "max_concurrency='0'")]
    [InlineData("openai:http://127.0.0.1:1/v1?model=x&key_env=EVALS_TEST_SURELY_UNSET_KEY", "environment variable EVALS_TEST_SURELY_UNSET_KEY (key_env) is not set")]
    [InlineData("openai:http://127.0.0.1:1/v1?model=x", "cannot reach 127.0.0.1:1 (connection refused)")]
    [InlineData("openai:http://no-such-host.invalid/v1?model=x", "cannot reach no-such-host.invalid:80")]
    public void Describe_rejects_bad_specs_before_anything_is_enqueued(string spec, string message)
    {
        var e = Assert.Throws<ModelSpecException>(() => new BackendFactory().Describe(ModelSpec.Parse(spec)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Describe_accepts_a_reachable_endpoint_and_says_it_generates_and_scores_only_when_asked()
    {
        var capabilities = new BackendFactory().Describe(ModelSpec.Parse($"openai:{_server.BaseUrl}?model=fake&key_env={KeyVariable}&max_concurrency=16"));
        Assert.Equal(new ModelCapabilities(LogLikelihood: false, Generate: true, MaxConcurrency: 16, LogLikelihoodIfAsked: true), capabilities);
    }
}
