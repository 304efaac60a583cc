using System.Text;
using System.Text.Json;

namespace Evals.Web.V1;

/// <summary>A chat-completions request as this server understands it; <see cref="Parse"/> names the field that is wrong.</summary>
public sealed record ChatRequest(
    string Model,
    IReadOnlyList<(string Role, string Content)> Messages,
    double Temperature,
    double TopP,
    int MaxTokens,
    int? Seed,
    IReadOnlyList<string> Stop,
    bool Stream,
    bool IncludeUsage,
    bool LogProbs)
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Returns the request, or the offending field (OpenAI's <c>param</c>) and why.</summary>
    public static (ChatRequest? Request, string? Param, string? Error) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, null, "The request body must be a JSON object.");
        if (!body.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
            return (null, "model", "'model' is required: the name of a served model (GET /v1/models).");
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            return (null, "messages", "'messages' is required: a non-empty array of {role, content}.");
        var parsed = new List<(string, string)>();
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object) return (null, $"messages[{i}]", $"messages[{i}] must be an object with role and content.");
            if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String || !Roles.Contains(role.GetString()!))
                return (null, $"messages[{i}].role", $"messages[{i}].role must be one of {string.Join(", ", Roles)}.");
            if (!message.TryGetProperty("content", out var content)) return (null, $"messages[{i}].content", $"messages[{i}].content is required.");
            var text = Content(content);
            if (text is null) return (null, $"messages[{i}].content", $"messages[{i}].content must be a string or an array of text parts.");
            parsed.Add((role.GetString()!, text));
            i++;
        }
        if (!Number(body, "temperature", 1, 0, 2, out var temperature)) return (null, "temperature", "'temperature' must be a number in [0, 2].");
        if (!Number(body, "top_p", 1, 0, 1, out var topP) || topP == 0) return (null, "top_p", "'top_p' must be a number in (0, 1].");
        var maxField = body.TryGetProperty("max_completion_tokens", out _) ? "max_completion_tokens" : "max_tokens";
        if (!Integer(body, maxField, 256, 1, 32_768, out var maxTokens)) return (null, maxField, $"'{maxField}' must be an integer in [1, 32768].");
        if (!Integer(body, "n", 1, 1, 1, out _)) return (null, "n", "'n' must be 1: this server returns one choice per request.");
        int? seed = null;
        if (body.TryGetProperty("seed", out var seedValue) && seedValue.ValueKind != JsonValueKind.Null)
        {
            if (seedValue.ValueKind != JsonValueKind.Number || !seedValue.TryGetInt32(out var s)) return (null, "seed", "'seed' must be a 32-bit integer.");
            seed = s;
        }
        var stop = new List<string>();
        if (body.TryGetProperty("stop", out var stopValue) && stopValue.ValueKind != JsonValueKind.Null)
        {
            if (stopValue.ValueKind == JsonValueKind.String) stop.Add(stopValue.GetString()!);
            else if (stopValue.ValueKind == JsonValueKind.Array && stopValue.GetArrayLength() <= 4 && stopValue.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String))
                stop.AddRange(stopValue.EnumerateArray().Select(s => s.GetString()!));
            else return (null, "stop", "'stop' must be a string or an array of at most 4 strings.");
            if (stop.Any(s => s.Length == 0)) return (null, "stop", "'stop' sequences must not be empty.");
        }
        if (!Bool(body, "stream", out var stream)) return (null, "stream", "'stream' must be a boolean.");
        var includeUsage = false;
        if (body.TryGetProperty("stream_options", out var streamOptions) && streamOptions.ValueKind != JsonValueKind.Null)
        {
            if (streamOptions.ValueKind != JsonValueKind.Object || !Bool(streamOptions, "include_usage", out includeUsage))
                return (null, "stream_options", "'stream_options' must be an object like {\"include_usage\": true}.");
        }
        if (!Bool(body, "logprobs", out var logprobs)) return (null, "logprobs", "'logprobs' must be a boolean.");
        if (!Integer(body, "top_logprobs", 0, 0, 20, out _)) return (null, "top_logprobs", "'top_logprobs' must be an integer in [0, 20].");
        return (new ChatRequest(model.GetString()!, parsed, temperature, topP, maxTokens, seed, stop, stream, includeUsage, logprobs), null, null);
    }

    /// <summary>
    /// The prompt the backend sees. A lone user message is passed as it is, so a model served here answers exactly as the
    /// same model run in-process (which wraps a prompt in its own chat template). A longer conversation becomes a
    /// role-labelled transcript ending with the assistant's turn.
    /// </summary>
    public string Prompt()
    {
        if (Messages.Count == 1 && Messages[0].Role == "user") return Messages[0].Content;
        if (Messages.All(m => m.Role is "system" or "developer" or "user") && Messages[^1].Role == "user")
            return string.Join("\n\n", Messages.Select(m => m.Content));
        var sb = new StringBuilder();
        foreach (var (role, content) in Messages) sb.Append(role).Append(": ").Append(content).Append('\n');
        return sb.Append("assistant: ").ToString();
    }

    private static string? Content(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String) return content.GetString();
        if (content.ValueKind != JsonValueKind.Array) return null;
        var sb = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.GetString() != "text"
                || !part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String) return null;
            sb.Append(text.GetString());
        }
        return sb.ToString();
    }

    private static bool Number(JsonElement body, string name, double fallback, double min, double max, out double value)
    {
        value = fallback;
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return true;
        return v.ValueKind == JsonValueKind.Number && (value = v.GetDouble()) >= min && value <= max;
    }

    private static bool Integer(JsonElement body, string name, int fallback, int min, int max, out int value)
    {
        value = fallback;
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return true;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out value) && value >= min && value <= max;
    }

    private static bool Bool(JsonElement body, string name, out bool value)
    {
        value = false;
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return true;
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return false;
        value = v.GetBoolean();
        return true;
    }
}
