using System.Text.Json;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.OpenAiCompatible;

/// <summary>What a chat completion answered, read straight from its JSON.</summary>
internal sealed record ChatAnswer(string Text, string? FinishReason, string? Refusal, int PromptTokens, int CompletionTokens);

/// <summary>
/// The chat-completions request and answer as bytes, for the SDK's protocol method (<c>CompleteChatAsync(BinaryContent,
/// RequestOptions)</c>). Building the body with one <see cref="Utf8JsonWriter"/> and reading only the fields a run needs
/// skips the SDK's message and option models and its full response model, which were most of the client's CPU per
/// request (perf/README.md, "Remote model throughput"). The body carries the fields the SDK's models would send.
/// </summary>
internal static class ChatWire
{
    public static BinaryData Request(string model, string prompt, double temperature, int maxTokens, double? topP, int? seed, IReadOnlyList<string> stops) =>
        Request(model, [new ChatTurn(Conversation.User, prompt)], temperature, maxTokens, topP, seed, stops);

    /// <summary>A conversation is sent as it is: one message per turn, in order.</summary>
    public static BinaryData Request(string model, IReadOnlyList<ChatTurn> turns, double temperature, int maxTokens, double? topP, int? seed, IReadOnlyList<string> stops)
    {
        var buffer = new MemoryStream(turns.Sum(t => t.Content.Length) * 3 + 64 * turns.Count + 128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("messages");
            foreach (var turn in turns)
            {
                json.WriteStartObject();
                json.WriteString("role", turn.Role);
                json.WriteString("content", turn.Content);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("model", model);
            json.WriteNumber("temperature", (float)temperature);
            json.WriteNumber("max_completion_tokens", maxTokens);
            if (topP is { } p) json.WriteNumber("top_p", (float)p);
            if (seed is { } s) json.WriteNumber("seed", s);
            if (stops.Count > 0)
            {
                json.WriteStartArray("stop");
                foreach (var stop in stops) json.WriteStringValue(stop);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return new BinaryData(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>Reads the first choice and the usage; throws <see cref="JsonException"/> when the body is not a chat completion.</summary>
    public static ChatAnswer Parse(BinaryData body)
    {
        var reader = new Utf8JsonReader(body.ToMemory().Span);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            throw new JsonException("the answer has no 'choices'");
        var choice = choices[0];
        string text = "";
        string? refusal = null;
        if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
        {
            if (message.TryGetProperty("content", out var content)) text = content.ValueKind switch
            {
                JsonValueKind.String => content.GetString()!,
                JsonValueKind.Null => "",
                JsonValueKind.Array => string.Concat(content.EnumerateArray()
                    .Where(p => p.TryGetProperty("type", out var t) && t.GetString() == "text" && p.TryGetProperty("text", out _))
                    .Select(p => p.GetProperty("text").GetString())),
                _ => throw new JsonException("'message.content' is neither text nor parts"),
            };
            if (message.TryGetProperty("refusal", out var r) && r.ValueKind == JsonValueKind.String) refusal = r.GetString();
        }
        else throw new JsonException("the first choice has no 'message'");
        var finish = choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        var (input, output) = (0, 0);
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            if (usage.TryGetProperty("prompt_tokens", out var pt) && pt.ValueKind == JsonValueKind.Number) input = pt.GetInt32();
            if (usage.TryGetProperty("completion_tokens", out var ct) && ct.ValueKind == JsonValueKind.Number) output = ct.GetInt32();
        }
        return new ChatAnswer(text, finish, refusal, input, output);
    }
}
