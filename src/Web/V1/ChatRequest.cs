using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Models;

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
    // "developer" is OpenAI's newer name for the system turn; tool turns answer tool calls, which this server never makes.
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant"];

    /// <summary>Returns the request, or the offending field (OpenAI's <c>param</c>) and why.</summary>
    public static (ChatRequest? Request, string? Param, string? Error) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, null, "The request body must be a JSON object.");
        var (common, param, error) = RequestFields.Common(body);
        if (common is null) return (null, param, error);
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
            parsed.Add((role.GetString() == "developer" ? Conversation.System : role.GetString()!, text));
            i++;
        }
        if (Conversation.PromptProblem(parsed.Select(m => new ChatTurn(m.Item1, m.Item2)).ToList()) is { } problem)
            return (null, "messages", $"messages: {problem}.");
        var maxField = body.TryGetProperty("max_completion_tokens", out _) ? "max_completion_tokens" : "max_tokens";
        if (!RequestFields.Integer(body, maxField, 256, 1, 32_768, out var maxTokens)) return (null, maxField, $"'{maxField}' must be an integer in [1, 32768].");
        if (!RequestFields.Bool(body, "logprobs", out var logprobs)) return (null, "logprobs", "'logprobs' must be a boolean.");
        if (!RequestFields.Integer(body, "top_logprobs", 0, 0, 20, out _)) return (null, "top_logprobs", "'top_logprobs' must be an integer in [0, 20].");
        return (new ChatRequest(common.Model, parsed, common.Temperature, common.TopP, maxTokens, common.Seed, common.Stop, common.Stream, common.IncludeUsage, logprobs), null, null);
    }

    /// <summary>
    /// What the backend is asked. A lone user message is passed as the prompt string, so a model served here answers
    /// exactly as the same model run in-process (which wraps a prompt in its own chat template) and a cached answer stays
    /// valid. A longer conversation is passed whole (the model's chat template renders every turn), with its stored form as
    /// the prompt.
    /// </summary>
    public GenerateRequest ToGenerateRequest(string id)
    {
        var decoding = new DecodingOptions(Temperature, TopP, MaxTokens, Seed);
        if (Messages.Count == 1 && Messages[0].Role == Conversation.User) return new GenerateRequest(new TaskContext("v1", null), id, Messages[0].Content, Stop, decoding);
        var turns = Messages.Select(m => new ChatTurn(m.Role, m.Content)).ToList();
        return new GenerateRequest(new TaskContext("v1", null), id, Conversation.ToStored(turns), Stop, decoding, Messages: turns);
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
}
