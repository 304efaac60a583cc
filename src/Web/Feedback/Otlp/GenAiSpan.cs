using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.Storage.Text;

namespace Evals.Web.Feedback.Otlp;

/// <summary>A model call read from a span: what an online trace stores (see <see cref="Storage.Entities.FeedbackEvent"/>).</summary>
public sealed record GenAiCall(
    string TraceId, string SpanId, string Model, string Input, string Output, DateTimeOffset EndedAt, double LatencyMs,
    int? InputTokens, int? OutputTokens, string? UserId, string? SessionId)
{
    /// <summary>The idempotency key: a span resent by an exporter's retry is stored once.</summary>
    public string EventId => $"otel:{TraceId}:{SpanId}";
}

/// <summary>
/// Reads a model call from a span that follows the OpenTelemetry GenAI semantic conventions: the model from
/// <c>gen_ai.response.model</c> (else <c>gen_ai.request.model</c>); the user's message from <c>gen_ai.input.messages</c>,
/// the older <c>gen_ai.prompt</c> (text, a message list, or indexed <c>gen_ai.prompt.N.content</c>) or a
/// <c>gen_ai.user.message</c> event; the answer likewise from <c>gen_ai.output.messages</c>, <c>gen_ai.completion</c> or a
/// <c>gen_ai.choice</c> event; usage from <c>gen_ai.usage.input_tokens</c>/<c>output_tokens</c> (or the older
/// <c>prompt_tokens</c>/<c>completion_tokens</c>); the user from <c>user.id</c> and the session from <c>session.id</c> or
/// <c>gen_ai.conversation.id</c> (span, else resource attributes); the latency from the span's start and end.
/// A span that names no GenAI system, provider or operation, or whose operation is not a model answering (embeddings,
/// tool execution, agent creation), is not a model call and is skipped. Problems are collected per field, as
/// <see cref="FeedbackEventParser"/> does for events.
/// </summary>
public static partial class GenAiSpan
{
    /// <summary>Operations whose spans carry a model's answer to a user.</summary>
    public static readonly IReadOnlySet<string> AnswerOperations = new HashSet<string>(StringComparer.Ordinal)
        { "chat", "text_completion", "generate_content", "invoke_agent" };

    public static bool IsModelCall(OtlpSpan span)
    {
        if (span.Attributes.TryGetValue("gen_ai.operation.name", out var operation) && operation is string name)
            return AnswerOperations.Contains(name);
        return span.Attributes.ContainsKey("gen_ai.system") || span.Attributes.ContainsKey("gen_ai.provider.name");
    }

    public static (GenAiCall? Call, Dictionary<string, string[]> Errors) Read(OtlpSpan span, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>(span.Problems);
        var traceId = Id(span.TraceId, 32, "traceId", errors);
        var spanId = Id(span.SpanId, 16, "spanId", errors);

        var model = Text(span, "gen_ai.response.model", errors) ?? Text(span, "gen_ai.request.model", errors);
        if (model is null && !errors.ContainsKey("gen_ai.request.model") && !errors.ContainsKey("gen_ai.response.model"))
            errors["gen_ai.request.model"] = ["required: the model that answered (gen_ai.request.model or gen_ai.response.model)"];
        else if (model?.Length > FeedbackEventParser.MaxModelLength)
            errors["gen_ai.request.model"] = [$"at most {FeedbackEventParser.MaxModelLength} characters (got {model.Length})"];

        var input = Message(span, "gen_ai.input.messages", "gen_ai.prompt", "gen_ai.user.message", user: true, errors);
        var output = Message(span, "gen_ai.output.messages", "gen_ai.completion", "gen_ai.choice", user: false, errors);
        var inputTokens = Tokens(span, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", errors);
        var outputTokens = Tokens(span, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", errors);
        var userId = Identifier(span, errors, "user.id", "enduser.id");
        var sessionId = Identifier(span, errors, "session.id", "gen_ai.conversation.id");

        DateTimeOffset endedAt = default;
        double latency = 0;
        if (span.StartTimeUnixNano == 0 && !errors.ContainsKey("startTimeUnixNano")) errors["startTimeUnixNano"] = ["required: when the model call started"];
        if (span.EndTimeUnixNano == 0 && !errors.ContainsKey("endTimeUnixNano")) errors["endTimeUnixNano"] = ["required: when the model call ended"];
        else if (span.EndTimeUnixNano < span.StartTimeUnixNano && span.StartTimeUnixNano != 0)
            errors["endTimeUnixNano"] = [$"is before startTimeUnixNano ({span.EndTimeUnixNano} < {span.StartTimeUnixNano})"];
        else if (span.EndTimeUnixNano != 0)
        {
            endedAt = DateTimeOffset.UnixEpoch.AddTicks((long)(span.EndTimeUnixNano / 100));
            latency = (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1e6;
            if (endedAt > now + FeedbackEventParser.MaxClockSkew) errors["endTimeUnixNano"] = [$"is in the future ({endedAt:O}; the server's time is {now:O})"];
        }

        return errors.Count > 0
            ? (null, errors)
            : (new GenAiCall(traceId!, spanId!, model!, input!, output!, endedAt, latency, inputTokens, outputTokens, userId, sessionId), errors);
    }

    private static string? Id(string? hex, int length, string field, Dictionary<string, string[]> errors)
    {
        if (errors.ContainsKey(field)) return null;
        if (hex is null || !HexId().IsMatch(hex) || hex.Length != length)
            errors[field] = [$"must be {length / 2} bytes ({length} hex digits); got {(hex is null ? "none" : $"'{hex}'")}"];
        else if (hex.All(c => c == '0')) errors[field] = ["must not be all zeros (an invalid id in OpenTelemetry)"];
        else return hex.ToLowerInvariant();
        return null;
    }

    [GeneratedRegex("^[0-9a-fA-F]+$")]
    private static partial Regex HexId();

    private static string? Text(OtlpSpan span, string key, Dictionary<string, string[]> errors)
    {
        if (!span.Attributes.TryGetValue(key, out var value) || value is null) return null;
        if (value is not string text) errors[key] = [$"must be a string, not {Describe(value)}"];
        else if (string.IsNullOrWhiteSpace(text)) errors[key] = ["must not be empty"];
        else if (StoredText.Problem(text) is { } problem) errors[key] = [problem];
        else return text;
        return null;
    }

    private static int? Tokens(OtlpSpan span, string key, string olderKey, Dictionary<string, string[]> errors)
    {
        var name = span.Attributes.ContainsKey(key) ? key : olderKey;
        if (!span.Attributes.TryGetValue(name, out var value) || value is null) return null;
        if (value is long n and >= 0 and <= int.MaxValue) return (int)n;
        if (value is double d && d >= 0 && d <= int.MaxValue && Math.Floor(d) == d) return (int)d;
        errors[name] = [$"must be a non-negative integer (got {Describe(value)} {Format(value)})"];
        return null;
    }

    private static string? Identifier(OtlpSpan span, Dictionary<string, string[]> errors, params string[] keys)
    {
        foreach (var key in keys)
            foreach (var attributes in new[] { span.Attributes, span.Resource })
                if (attributes.TryGetValue(key, out var value) && value is not null)
                {
                    var text = value is string s ? s : value is long n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
                    if (text is null || string.IsNullOrWhiteSpace(text)) errors[key] = [$"must be a non-empty string (got {Describe(value)})"];
                    else if (text.Length > FeedbackEventParser.MaxIdLength) errors[key] = [$"at most {FeedbackEventParser.MaxIdLength} characters (got {text.Length})"];
                    else if (StoredText.Problem(text) is { } problem) errors[key] = [problem];
                    else return text;
                    return null;
                }
        return null;
    }

    /// <summary>
    /// The user's last message (<paramref name="user"/>) or the model's first answer, from the current attribute, the
    /// older one, or the older span events, in that order.
    /// </summary>
    private static string? Message(OtlpSpan span, string messagesKey, string olderKey, string eventName, bool user, Dictionary<string, string[]> errors)
    {
        string? text = null;
        string field;
        if (span.Attributes.TryGetValue(messagesKey, out var messages) && messages is not null)
        {
            field = messagesKey;
            text = FromMessages(Structured(messages), user);
        }
        else if (span.Attributes.TryGetValue(olderKey, out var older) && older is not null)
        {
            field = olderKey;
            var structured = Structured(older);
            text = structured is string plain ? plain : FromMessages(structured, user);
        }
        else if (Indexed(span.Attributes, olderKey, user) is { } indexed)
        {
            field = olderKey;
            text = indexed;
        }
        else
        {
            field = eventName;
            var events = span.Events.Where(e => e.Name == eventName).ToList();
            if (events.Count > 0)
            {
                var chosen = user ? events[^1] : events[0];
                text = Content(chosen.Attributes.TryGetValue("gen_ai.event.content", out var c) ? Structured(c) : (object)chosen.Attributes);
            }
        }

        var what = user ? "the user's message" : "the model's answer";
        if (text is null)
        {
            errors[field] = [field == eventName
                ? $"required: {what}, in {messagesKey}, {olderKey} or a {eventName} event (capture of message content must be on in the instrumentation)"
                : $"holds no text for {what}"];
            return null;
        }
        if (user && string.IsNullOrWhiteSpace(text)) errors[field] = [$"must not be empty: {what}"];
        else if (text.Length > FeedbackEventParser.MaxTextLength) errors[field] = [$"{what} has more than {FeedbackEventParser.MaxTextLength} characters (got {text.Length})"];
        else if (StoredText.Problem(text) is { } problem) errors[field] = [problem];
        else return text;
        return null;
    }

    /// <summary>Attribute values that hold JSON text (message lists are JSON strings on most SDKs) parsed into the same shapes as OTLP's own.</summary>
    private static object? Structured(object? value)
    {
        if (value is not string text) return value;
        var trimmed = text.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] is not ('[' or '{')) return text;
        try
        {
            using var doc = JsonDocument.Parse(text);
            return FromJson(doc.RootElement);
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Object => e.EnumerateObject().GroupBy(p => p.Name).ToDictionary(g => g.Key, g => FromJson(g.Last().Value)),
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>From a message list (<c>[{role, parts | content}]</c>): the last user message, or the first non-user one.</summary>
    private static string? FromMessages(object? messages, bool user)
    {
        if (messages is IReadOnlyDictionary<string, object?> single) messages = new List<object?> { single };
        if (messages is not IReadOnlyList<object?> list) return messages as string;
        var candidates = list.OfType<IReadOnlyDictionary<string, object?>>()
            .Where(m => user ? Role(m) is "user" or null : Role(m) is not ("user" or "system" or "tool"));
        var chosen = user ? candidates.LastOrDefault() : candidates.FirstOrDefault();
        return chosen is null ? null : Content(chosen);
    }

    private static string? Role(IReadOnlyDictionary<string, object?> message) =>
        message.TryGetValue("role", out var role) && role is string r ? r : null;

    /// <summary>The text of one message or event body: its <c>parts</c> of type text, its <c>content</c>, or its <c>message</c>'s.</summary>
    private static string? Content(object? body)
    {
        switch (body)
        {
            case string text:
                return text;
            case IReadOnlyList<object?> parts:
                var texts = parts.Select(p => p is IReadOnlyDictionary<string, object?> d
                    ? (d.TryGetValue("type", out var t) && t is string type && type != "text" ? null : Content(d.GetValueOrDefault("content") ?? d.GetValueOrDefault("text")))
                    : p as string).OfType<string>().ToList();
                return texts.Count == 0 ? null : string.Join("\n", texts);
            case IReadOnlyDictionary<string, object?> d:
                if (d.TryGetValue("parts", out var p) && p is not null) return Content(p);
                if (d.TryGetValue("content", out var c) && c is not null) return Content(Structured(c));
                if (d.TryGetValue("message", out var m) && m is not null) return Content(Structured(m));
                return null;
            default:
                return null;
        }
    }

    /// <summary>The OpenLLMetry flattening: <c>gen_ai.prompt.0.role</c>, <c>gen_ai.prompt.0.content</c>, …</summary>
    private static string? Indexed(IReadOnlyDictionary<string, object?> attributes, string prefix, bool user)
    {
        var messages = new List<(int Index, string? Role, string Content)>();
        for (var i = 0; attributes.TryGetValue($"{prefix}.{i}.content", out var content); i++)
            if (content is string text) messages.Add((i, attributes.GetValueOrDefault($"{prefix}.{i}.role") as string, text));
        if (messages.Count == 0) return null;
        return user
            ? messages.LastOrDefault(m => m.Role is "user" or null).Content
            : messages.FirstOrDefault(m => m.Role is not ("user" or "system")).Content;
    }

    private static string Describe(object value) => value switch
    {
        string => "a string",
        long => "an integer",
        double => "a double",
        bool => "a boolean",
        byte[] => "bytes",
        IReadOnlyList<object?> => "an array",
        _ => "a key-value list",
    };

    private static string Format(object value) => value switch
    {
        long n => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        string s => $"'{s}'",
        _ => "",
    };
}
