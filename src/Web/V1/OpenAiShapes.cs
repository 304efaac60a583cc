using System.Text.Json;

namespace Evals.Web.V1;

// The OpenAI wire shapes this server accepts and answers, for the OpenAPI document only: the handlers read bodies by
// hand (to name a bad field in OpenAI's error shape) and write the same fields. Names follow the API's snake_case.

public sealed record OpenAiModel(string Id, string Object, long Created, string OwnedBy);

public sealed record OpenAiModelList(string Object, IReadOnlyList<OpenAiModel> Data);

public sealed record OpenAiMessage(string Role, string Content);

/// <param name="Stop">A string or an array of up to four strings.</param>
/// <param name="StreamOptions">Only <c>include_usage</c> is read.</param>
public sealed record OpenAiChatRequest(string Model, IReadOnlyList<OpenAiMessage> Messages, double? Temperature, double? TopP, int? MaxTokens,
    int? MaxCompletionTokens, int? Seed, JsonElement? Stop, bool? Stream, JsonElement? StreamOptions, bool? Logprobs);

/// <param name="Prompt">A string, or an array of exactly one string.</param>
/// <param name="Logprobs">0–5: how many most likely tokens to list at each position (in-process models only).</param>
public sealed record OpenAiCompletionRequest(string Model, JsonElement Prompt, int? MaxTokens, bool? Echo, int? Logprobs, double? Temperature, double? TopP,
    int? Seed, JsonElement? Stop, bool? Stream);

public sealed record OpenAiUsage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record OpenAiChatChoice(int Index, OpenAiMessage Message, JsonElement? Logprobs, string FinishReason);

/// <summary>Streamed (<c>text/event-stream</c>), each event is a <c>chat.completion.chunk</c> with <c>delta</c> for <c>message</c>.</summary>
public sealed record OpenAiChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<OpenAiChatChoice> Choices, OpenAiUsage Usage);

public sealed record OpenAiTextChoice(int Index, string Text, JsonElement? Logprobs, string FinishReason);

public sealed record OpenAiCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<OpenAiTextChoice> Choices, OpenAiUsage Usage);
