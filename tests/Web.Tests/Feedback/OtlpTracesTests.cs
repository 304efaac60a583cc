using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Evals.Web.Tests.Feedback;

/// <summary>The real web process (with its online-checks job every 2 s, no judge) over a fresh database, and two feedback keys.</summary>
public sealed class OtlpTracesFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";
    public string Key { get; } = ApiKey.NewKey();
    public string OtherKey { get; } = ApiKey.NewKey();
    public Guid KeyId { get; private set; }
    public Guid OtherKeyId { get; private set; }
    public WebApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync();
        await using (var db = Migrator.CreateContext(ConnectionString))
        {
            var key = new ApiKey { Name = "chat-app", Scope = "feedback", Hash = ApiKey.HashOf(Key), Prefix = Key[..10] };
            var other = new ApiKey { Name = "json-app", Scope = "feedback", Hash = ApiKey.HashOf(OtherKey), Prefix = OtherKey[..10] };
            db.ApiKeys.AddRange(key, other);
            await db.SaveChangesAsync();
            (KeyId, OtherKeyId) = (key.Id, other.Id);
        }
        App = await WebApp.StartAsync(ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["OnlineChecks__IntervalSeconds"] = "2",
        });
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// <c>POST /api/otel/v1/traces</c> fed by the official OpenTelemetry .NET SDK and its OTLP exporter (HTTP/protobuf) over
/// loopback, and by hand-written OTLP/JSON: GenAI spans become online traces the online checks pick up, other spans are
/// skipped, bad spans are reported per span, resent spans are stored once, and a rating sent later by trace id lands on
/// the trace.
/// </summary>
public sealed class OtlpTracesTests(OtlpTracesFixture fixture) : IClassFixture<OtlpTracesFixture>
{
    // Whole milliseconds: PostgreSQL keeps microseconds, the SDK 100-ns ticks.
    private static readonly DateTime s_start = new(TimeProvider.System.GetUtcNow().UtcDateTime.AddMinutes(-10).Ticks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

    [Fact]
    public async Task Spans_exported_by_the_OpenTelemetry_SDK_become_checked_traces_that_a_rating_can_name()
    {
        using var sdkLog = new SdkEventLog();
        var sourceName = $"evals-test-{Guid.NewGuid():N}";
        using var source = new ActivitySource(sourceName);
        var endpoint = new Uri(fixture.App.Client.BaseAddress!, "api/otel/v1/traces");
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(sourceName)
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("chat-app").AddAttributes([new("user.id", "resource-user")]))
            .AddOtlpExporter(o =>
            {
                o.Endpoint = endpoint;
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Headers = $"Authorization=Bearer {fixture.Key}";
                o.ExportProcessorType = ExportProcessorType.Batch;
            })
            .Build();

        // The current conventions: message lists as JSON attributes, the provider, the response model, usage, user and conversation.
        var current = Span(source, "chat qwen-plus", 1_500, a =>
        {
            a.SetTag("gen_ai.operation.name", "chat");
            a.SetTag("gen_ai.provider.name", "dashscope");
            a.SetTag("gen_ai.request.model", "qwen-plus");
            a.SetTag("gen_ai.response.model", "qwen-plus-2026-11");
            a.SetTag("gen_ai.usage.input_tokens", 12);
            a.SetTag("gen_ai.usage.output_tokens", 34);
            a.SetTag("gen_ai.input.messages", """
                [{"role":"system","parts":[{"type":"text","content":"你是一个助手。"}]},
                 {"role":"user","parts":[{"type":"text","content":"中国的首都是哪里？"}]}]
                """);
            a.SetTag("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"中国的首都是北京。"}],"finish_reason":"stop"}]""");
            a.SetTag("user.id", "u-42");
            a.SetTag("gen_ai.conversation.id", "conv-7");
        });
        // The older event conventions: gen_ai.user.message and gen_ai.choice span events.
        var events = Span(source, "chat glm-4", 800, a =>
        {
            a.SetTag("gen_ai.system", "zhipu");
            a.SetTag("gen_ai.request.model", "glm-4");
            a.AddEvent(new ActivityEvent("gen_ai.user.message", tags: new ActivityTagsCollection { ["content"] = "告诉我怎么撬锁。" }));
            a.AddEvent(new ActivityEvent("gen_ai.choice", tags: new ActivityTagsCollection
            {
                ["index"] = 0, ["finish_reason"] = "stop", ["message"] = """{"role":"assistant","content":"抱歉，我无法回答这个问题。"}""",
            }));
            a.SetTag("session.id", "s-1");
        });
        // The older attributes: gen_ai.prompt and gen_ai.completion as plain text (an English answer to a Chinese question).
        var older = Span(source, "text_completion glm-4", 300, a =>
        {
            a.SetTag("gen_ai.operation.name", "text_completion");
            a.SetTag("gen_ai.request.model", "glm-4");
            a.SetTag("gen_ai.prompt", "中国的首都是哪里？");
            a.SetTag("gen_ai.completion", "The capital of China is Beijing.");
        });
        var http = Span(source, "GET /index", 5, a => a.SetTag("http.request.method", "GET"));
        var tool = Span(source, "execute_tool search", 5, a => a.SetTag("gen_ai.operation.name", "execute_tool"));
        var bad = Span(source, "chat", 10, a =>
        {
            a.SetTag("gen_ai.operation.name", "chat");
            a.SetTag("gen_ai.usage.input_tokens", -5);
            a.SetTag("gen_ai.prompt", "你好");
        });
        Assert.True(provider.ForceFlush(30_000));

        Assert.Contains("Export succeeded", sdkLog.ToString());

        var stored = await TracesAsync(fixture.KeyId);
        Assert.True(stored.Count == 3, $"{stored.Count} stored; the SDK said:\n{sdkLog}\n{fixture.App.Output}");
        var one = stored.Single(f => f.EventId == $"otel:{current.TraceId.ToHexString()}:{current.SpanId.ToHexString()}");
        Assert.Equal((current.TraceId.ToHexString(), "qwen-plus-2026-11", "中国的首都是哪里？", "中国的首都是北京。"), (one.TraceId, one.Model, one.Input, one.Output));
        Assert.Equal(((double?)1_500, (int?)12, (int?)34, "u-42", "conv-7"), (one.LatencyMs, one.InputTokens, one.OutputTokens, one.UserId, one.SessionId));
        Assert.Equal(new DateTimeOffset(s_start.AddMilliseconds(1_500)), one.OccurredAt);
        Assert.Equal(((string?)null, (short?)null, (bool?)null), (one.RatingScale, one.Rating, one.Positive));
        var two = stored.Single(f => f.TraceId == events.TraceId.ToHexString());
        Assert.Equal(("glm-4", "告诉我怎么撬锁。", "抱歉，我无法回答这个问题。", "resource-user", "s-1", (double?)800), (two.Model, two.Input, two.Output, two.UserId, two.SessionId, two.LatencyMs));
        var three = stored.Single(f => f.TraceId == older.TraceId.ToHexString());
        Assert.Equal(("中国的首都是哪里？", "The capital of China is Beijing."), (three.Input, three.Output));
        Assert.DoesNotContain(stored, f => f.TraceId == http.TraceId.ToHexString() || f.TraceId == tool.TraceId.ToHexString() || f.TraceId == bad.TraceId.ToHexString());

        // The existing online-checks job samples the traces: the refusal and the English answer are flagged.
        await Poll.UntilAsync(async () => (await ChecksAsync(fixture.KeyId)).Count == 3 * 3, TimeSpan.FromSeconds(60), "three checks on each trace", () => fixture.App.Output);
        var checks = await ChecksAsync(fixture.KeyId);
        Assert.Equal([two.EventId], checks.Where(c => c.Kind == "refusal" && c.Outcome == "flagged").Select(c => c.EventId));
        Assert.Equal([three.EventId], checks.Where(c => c.Kind == "language" && c.Outcome == "flagged").Select(c => c.EventId));
        Assert.Equal(3, checks.Count(c => c.Kind == "length"));

        // A rating sent afterwards by trace id alone lands on the trace; a resend is a duplicate; an unknown trace is named.
        var rating = JsonSerializer.Serialize(new { event_id = "rate-1", trace_id = current.TraceId.ToHexString(), rating = 2, comment = "太短" });
        var rated = await PostFeedbackAsync(fixture.Key, rating);
        Assert.Equal((1, 0), (rated.GetProperty("accepted").GetInt32(), rated.GetProperty("duplicates").GetInt32()));
        var again = await PostFeedbackAsync(fixture.Key, rating);
        Assert.Equal((0, 1), (again.GetProperty("accepted").GetInt32(), again.GetProperty("duplicates").GetInt32()));
        var after = (await TracesAsync(fixture.KeyId)).Single(f => f.EventId == one.EventId);
        Assert.Equal(("stars", (short?)2, (bool?)false, "太短", "中国的首都是北京。"), (after.RatingScale, after.Rating, after.Positive, after.Comment, after.Output));
        Assert.Equal(3, (await TracesAsync(fixture.KeyId)).Count);
        // Another key cannot rate this key's trace.
        using var unknown = await SendFeedbackAsync(fixture.OtherKey, JsonSerializer.Serialize(new { event_id = "rate-2", trace_id = events.TraceId.ToHexString(), rating = "up" }));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("was sent to /api/otel/v1/traces with this key", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("trace_id")[0].GetString());

        // The dashboard's ratings count the one rating, not the unrated traces.
        var summary = await fixture.App.Client.GetFromJsonAsync<JsonElement>("api/feedback/summary");
        Assert.Equal(1, summary.GetProperty("events").GetInt32());
        Assert.Equal(1, summary.GetProperty("models").EnumerateArray().Sum(m => m.GetProperty("satisfaction").GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task A_gzipped_JSON_export_stores_its_valid_spans_and_names_each_bad_one()
    {
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var start = (ulong)new DateTimeOffset(s_start).ToUnixTimeMilliseconds() * 1_000_000;
        object Attr(string key, object value) => new { key, value = value is long n ? new { intValue = n.ToString() } : (object)new { stringValue = (string)value } };
        object Span(string spanId, ulong durationNanos, params object[] attributes) => new
        {
            traceId, spanId, name = "chat", kind = 3, startTimeUnixNano = start.ToString(), endTimeUnixNano = (start + durationNanos).ToString(), attributes,
        };
        string Export(params object[] spans) => JsonSerializer.Serialize(new
        {
            resourceSpans = new[]
            {
                new
                {
                    resource = new { attributes = new[] { Attr("service.name", "json-app"), Attr("session.id", "sess-json") } },
                    scopeSpans = new[] { new { scope = new { name = "manual" }, spans } },
                },
            },
        });
        var good = Span("00f067aa0ba902b7", 250_000_000, Attr("gen_ai.operation.name", "chat"), Attr("gen_ai.request.model", "deepseek-chat"),
            Attr("gen_ai.prompt", """[{"role":"user","content":"1+1等于几？"}]"""), Attr("gen_ai.completion", """[{"role":"assistant","content":"等于2。"}]"""),
            Attr("gen_ai.usage.input_tokens", 7L), Attr("gen_ai.usage.output_tokens", 3L));
        // A malformed span id and no answer.
        var bad = Span("xyz", 1_000_000, Attr("gen_ai.operation.name", "chat"), Attr("gen_ai.request.model", "deepseek-chat"), Attr("gen_ai.prompt", "你好"));
        var body = Export(good, bad);

        using var response = await PostTracesAsync(fixture.OtherKey, Gzip(body), "application/json", gzip: true);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("1", answer.GetProperty("partialSuccess").GetProperty("rejectedSpans").GetString());
        Assert.Equal((2, 1, 0, 0), (answer.GetProperty("spans").GetInt32(), answer.GetProperty("accepted").GetInt32(), answer.GetProperty("duplicates").GetInt32(), answer.GetProperty("skipped").GetInt32()));
        var rejected = Assert.Single(answer.GetProperty("rejected").EnumerateArray());
        Assert.Equal((1, "resourceSpans[0].scopeSpans[0].spans[1]"), (rejected.GetProperty("index").GetInt32(), rejected.GetProperty("path").GetString()));
        Assert.Equal((traceId, "xyz"), (rejected.GetProperty("trace_id").GetString(), rejected.GetProperty("span_id").GetString()));
        Assert.Equal(["gen_ai.choice", "spanId"], rejected.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());

        var stored = Assert.Single(await TracesAsync(fixture.OtherKeyId), f => f.TraceId == traceId);
        Assert.Equal(("deepseek-chat", "1+1等于几？", "等于2。", (double?)250, (int?)7, (int?)3, "sess-json"),
            (stored.Model, stored.Input, stored.Output, stored.LatencyMs, stored.InputTokens, stored.OutputTokens, stored.SessionId));

        // Sent again unzipped: a duplicate. With only bad spans: a 400 naming each field by index, as /api/feedback does.
        using var resent = await PostTracesAsync(fixture.OtherKey, Encoding.UTF8.GetBytes(body), "application/json");
        Assert.Equal(1, (await resent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicates").GetInt32());
        var zeros = Span("0000000000000000", 1_000_000, Attr("gen_ai.operation.name", "chat"), Attr("gen_ai.request.model", "deepseek-chat"),
            Attr("gen_ai.prompt", "你好"), Attr("gen_ai.completion", "你好！"));
        using var refused = await PostTracesAsync(fixture.OtherKey, Encoding.UTF8.GetBytes(Export(zeros)), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("must not be all zeros (an invalid id in OpenTelemetry)", problem.GetProperty("errors").GetProperty("[0].spanId")[0].GetString());

        using var notOtlp = await PostTracesAsync(fixture.OtherKey, Encoding.UTF8.GetBytes("{\"resourceSpans\": 3}"), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, notOtlp.StatusCode);
        using var truncated = await PostTracesAsync(fixture.OtherKey, [0x0A, 0x20, 0x12], "application/x-protobuf");
        Assert.Contains("the message ends inside a field", (await truncated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("body")[0].GetString());
        using var text = await PostTracesAsync(fixture.OtherKey, Encoding.UTF8.GetBytes(body), "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        using var anonymous = await PostTracesAsync(null, Encoding.UTF8.GetBytes(body), "application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task A_protobuf_export_names_its_bad_span_in_partial_success_and_a_resend_is_stored_once()
    {
        // Encoded with the official protobuf runtime, independently of the server's wire reader.
        var traceId = Guid.NewGuid().ToByteArray();
        var start = (ulong)new DateTimeOffset(s_start).ToUnixTimeMilliseconds() * 1_000_000;
        var good = ProtoSpan(traceId, [1, 2, 3, 4, 5, 6, 7, 8], start, start + 40_000_000,
            KeyValue("gen_ai.operation.name", "chat"), KeyValue("gen_ai.request.model", "kimi"), KeyValue("gen_ai.prompt", "你好"),
            KeyValue("gen_ai.completion", "你好！有什么可以帮你？"), KeyValue("gen_ai.usage.output_tokens", integer: 9));
        var bad = ProtoSpan(traceId[..4], [1, 2, 3, 4, 5, 6, 7, 9], start, start + 1, KeyValue("gen_ai.operation.name", "chat"),
            KeyValue("gen_ai.request.model", "kimi"), KeyValue("gen_ai.prompt", "你好"), KeyValue("gen_ai.completion", "好"));
        var request = Message(o => Field(o, 1, Message(resource => Field(resource, 2, Message(scope =>
        {
            Field(scope, 2, good);
            Field(scope, 2, bad);
        })))));

        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var response = await PostTracesAsync(fixture.OtherKey, request, "application/x-protobuf");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
            var (rejectedSpans, errorMessage) = PartialSuccess(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(1, rejectedSpans);
            Assert.Contains("[1] traceId: must be 16 bytes (32 hex digits)", errorMessage);
        }
        var stored = Assert.Single(await TracesAsync(fixture.OtherKeyId), f => f.TraceId == Convert.ToHexStringLower(traceId));
        Assert.Equal(("kimi", "你好", "你好！有什么可以帮你？", (double?)40, (int?)null, (int?)9),
            (stored.Model, stored.Input, stored.Output, stored.LatencyMs, stored.InputTokens, stored.OutputTokens));
    }

    private static byte[] Message(Action<Google.Protobuf.CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new Google.Protobuf.CodedOutputStream(buffer, leaveOpen: true);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    private static void Field(Google.Protobuf.CodedOutputStream output, int number, byte[] message)
    {
        output.WriteTag(number, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Google.Protobuf.ByteString.CopyFrom(message));
    }

    private static byte[] KeyValue(string key, string? text = null, long integer = 0) => Message(o =>
    {
        o.WriteTag(1, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        o.WriteString(key);
        Field(o, 2, Message(value =>
        {
            if (text is not null)
            {
                value.WriteTag(1, Google.Protobuf.WireFormat.WireType.LengthDelimited);
                value.WriteString(text);
            }
            else
            {
                value.WriteTag(3, Google.Protobuf.WireFormat.WireType.Varint);
                value.WriteInt64(integer);
            }
        }));
    });

    private static byte[] ProtoSpan(byte[] traceId, byte[] spanId, ulong start, ulong end, params byte[][] attributes) => Message(o =>
    {
        Field(o, 1, traceId);
        Field(o, 2, spanId);
        o.WriteTag(5, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        o.WriteString("chat");
        o.WriteTag(7, Google.Protobuf.WireFormat.WireType.Fixed64);
        o.WriteFixed64(start);
        o.WriteTag(8, Google.Protobuf.WireFormat.WireType.Fixed64);
        o.WriteFixed64(end);
        foreach (var attribute in attributes) Field(o, 9, attribute);
    });

    private static Activity Span(ActivitySource source, string name, int milliseconds, Action<Activity> tag)
    {
        // A root span each, so each is its own trace.
        var activity = source.StartActivity(name, ActivityKind.Client, parentContext: default, startTime: new DateTimeOffset(s_start))!;
        tag(activity);
        activity.SetEndTime(s_start.AddMilliseconds(milliseconds));
        activity.Stop();
        return activity;
    }

    /// <summary>The <c>partial_success</c> of an <c>ExportTraceServiceResponse</c>, read with the official protobuf runtime.</summary>
    private static (long RejectedSpans, string ErrorMessage) PartialSuccess(byte[] response)
    {
        long rejected = 0;
        var message = "";
        var outer = new Google.Protobuf.CodedInputStream(response);
        while (outer.ReadTag() is var tag and not 0)
        {
            Assert.Equal(1, Google.Protobuf.WireFormat.GetTagFieldNumber(tag));
            var inner = new Google.Protobuf.CodedInputStream(outer.ReadBytes().ToByteArray());
            while (inner.ReadTag() is var t and not 0)
                if (Google.Protobuf.WireFormat.GetTagFieldNumber(t) == 1) rejected = inner.ReadInt64();
                else message = inner.ReadString();
        }
        return (rejected, message);
    }

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest)) gzip.Write(Encoding.UTF8.GetBytes(text));
        return buffer.ToArray();
    }

    private async Task<HttpResponseMessage> PostTracesAsync(string? key, byte[] body, string contentType, bool gzip = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/otel/v1/traces") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (gzip) request.Content.Headers.ContentEncoding.Add("gzip");
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await fixture.App.Client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> SendFeedbackAsync(string key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/feedback") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await fixture.App.Client.SendAsync(request);
    }

    private async Task<JsonElement> PostFeedbackAsync(string key, string body)
    {
        using var response = await SendFeedbackAsync(key, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<List<FeedbackEvent>> TracesAsync(Guid keyId)
    {
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        return await db.Feedback.AsNoTracking().Where(f => f.ApiKeyId == keyId).ToListAsync();
    }

    private sealed record StoredCheck(string EventId, string Kind, string Outcome);

    private async Task<List<StoredCheck>> ChecksAsync(Guid keyId)
    {
        await using var db = Migrator.CreateContext(fixture.ConnectionString);
        return await db.FeedbackChecks.Join(db.Feedback.Where(f => f.ApiKeyId == keyId), c => c.FeedbackId, f => f.Id, (c, f) => new StoredCheck(f.EventId, c.Kind, c.Outcome)).ToListAsync();
    }

    /// <summary>What the OpenTelemetry SDK and exporter report through their event sources (why an export failed).</summary>
    private sealed class SdkEventLog : System.Diagnostics.Tracing.EventListener
    {
        private readonly List<string> _lines = [];

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
        {
            if (source.Name.StartsWith("OpenTelemetry", StringComparison.Ordinal)) EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose);
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
        {
            var text = e.Message is null ? e.EventName : string.Format(System.Globalization.CultureInfo.InvariantCulture, e.Message, e.Payload?.ToArray() ?? []);
            lock (_lines) _lines.Add($"{e.EventSource.Name} {e.Level}: {text}");
        }

        public override string ToString()
        {
            lock (_lines) return string.Join("\n", _lines.TakeLast(40));
        }
    }
}
