using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Evals.Benchmarks.Models;
using OpenAI.Chat;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Evals.Runner.Backends.OpenAiCompatible;

/// <summary>How the backend reads what went wrong: which failures are worth retrying, how long the server asked us to wait, and refusals.</summary>
internal static class Faults
{
    /// <summary>
    /// Retried: 408, 409, 429 and 5xx answers, timeouts, dropped connections and bodies that are not the JSON promised
    /// (a proxy's HTML page, a truncated response). Not retried: other 4xx answers (the request itself is wrong; sending
    /// it again cannot help) and refusals.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        ModelRefusedException => false,
        ClientResultException { Status: 408 or 409 or 429 or >= 500 } => true,
        ClientResultException { Status: > 0 } => false,
        _ => true,
    };

    /// <summary>The server's Retry-After (seconds or an HTTP date) or retry-after-ms, on a 429 or 503 answer.</summary>
    public static TimeSpan? RetryAfter(Exception? e)
    {
        if (e is BrokenCircuitException { RetryAfter: { } open }) return open;
        if (e is not ClientResultException { Status: 429 or 503 } cre || cre.GetRawResponse() is not { } response) return null;
        if (response.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
            return TimeSpan.FromMilliseconds(Math.Min(millis, 120_000));
        if (!response.Headers.TryGetValue("Retry-After", out var value) || value is null) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            return TimeSpan.FromSeconds(Math.Min(seconds, 120));
        // An HTTP date: the wait is relative to the server's own Date header, so no local clock is needed.
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            && response.Headers.TryGetValue("Date", out var dateHeader)
            && DateTimeOffset.TryParse(dateHeader, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var now))
            return TimeSpan.FromTicks(Math.Clamp((at - now).Ticks, 0, TimeSpan.FromMinutes(2).Ticks));
        return null;
    }

    /// <summary>A provider's refusal in an error answer: its error code or type is one of <paramref name="codes"/>.</summary>
    public static string? RefusalIn(ClientResultException e, IReadOnlySet<string> codes)
    {
        if (e.Status is not (400 or 403 or 422 or 451) || e.GetRawResponse() is not { } response) return null;
        try
        {
            using var body = JsonDocument.Parse(response.Content.ToMemory());
            if (!body.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object) return null;
            foreach (var field in new[] { "code", "type" })
            {
                if (!error.TryGetProperty(field, out var value)) continue;
                var code = value.ValueKind switch { JsonValueKind.String => value.GetString(), JsonValueKind.Number => value.GetRawText(), _ => null };
                if (code is not null && codes.Contains(code))
                {
                    var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    return $"the provider refused (HTTP {e.Status}, {field} {code}){(message is null ? "" : ": " + message)}";
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>One line for the item's stored error.</summary>
    public static string Describe(Exception e) => e switch
    {
        TimeoutRejectedException t => $"no answer within {t.Timeout.TotalSeconds:0.###} s (timeout_s)",
        BrokenCircuitException => "circuit open: the endpoint kept failing, calls are paused",
        ClientResultException c => $"HTTP {c.Status}: {FirstLine(ErrorMessage(c) ?? c.Message)}",
        HttpRequestException { InnerException: { } inner } h => $"{h.Message} ({inner.Message})",
        _ when e.InnerException is JsonException j => $"malformed response: {FirstLine(j.Message)}",
        JsonException j => $"malformed response: {FirstLine(j.Message)}",
        _ => $"{e.GetType().Name}: {FirstLine(e.Message)}",
    };

    private static string? ErrorMessage(ClientResultException e)
    {
        try
        {
            if (e.GetRawResponse() is not { } response) return null;
            using var body = JsonDocument.Parse(response.Content.ToMemory());
            return body.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null;
        }
        catch (Exception x) when (x is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    public static string FinishReasonName(ChatFinishReason reason) => reason switch
    {
        ChatFinishReason.Stop => "stop",
        ChatFinishReason.Length => "length",
        ChatFinishReason.ContentFilter => "content_filter",
        ChatFinishReason.ToolCalls => "tool_calls",
        ChatFinishReason.FunctionCall => "function_call",
        _ => reason.ToString().ToLowerInvariant(),
    };
}
