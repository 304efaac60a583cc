using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Evals.Benchmarks.Models;

/// <summary>One turn of a conversation: <c>system</c>, <c>user</c> or <c>assistant</c>, and what was said.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// Conversations as prompts: reading them from an item's JSON, the rules a prompt conversation follows, and the text stored
/// as a multi-turn item's prompt.
/// </summary>
public static class Conversation
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";

    private static readonly JsonSerializerOptions StoredJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Reads a JSON array of <c>{role, content}</c>. The problem names the turn counting from 1 (<c>item 3: role must be …</c>)
    /// so that it can follow the field's name in a <c>file:line: field</c> message.
    /// </summary>
    public static (IReadOnlyList<ChatTurn>? Turns, string? Problem) Read(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array) return (null, "expected an array of {role, content}");
        var turns = new List<ChatTurn>();
        foreach (var turn in array.EnumerateArray())
        {
            var n = turns.Count + 1;
            if (turn.ValueKind != JsonValueKind.Object) return (null, $"item {n}: expected an object with role and content");
            if (!turn.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                return (null, $"item {n}: role is missing or not a string");
            if (role.GetString() is not (System or User or Assistant))
                return (null, $"item {n}: role must be system, user or assistant, not '{role.GetString()}'");
            if (!turn.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                return (null, $"item {n}: content is missing or not a string");
            foreach (var other in turn.EnumerateObject())
                if (other.Name is not ("role" or "content")) return (null, $"item {n}: unknown field '{other.Name}' (a turn has role and content)");
            turns.Add(new ChatTurn(role.GetString()!, content.GetString()!));
        }
        return (turns, null);
    }

    /// <summary>
    /// What makes a conversation a prompt a model can answer: at least one turn, a system turn only first, and a user turn
    /// last (the model writes the next assistant turn). Consecutive turns of one role are allowed: chat templates join them.
    /// </summary>
    public static string? PromptProblem(IReadOnlyList<ChatTurn> turns)
    {
        if (turns.Count == 0) return "the conversation has no turns";
        for (var i = 0; i < turns.Count; i++)
        {
            if (turns[i].Role is not (System or User or Assistant))
                return $"item {i + 1}: role must be system, user or assistant, not '{turns[i].Role}'";
            if (turns[i].Role == System && i > 0) return $"item {i + 1}: a system turn may only come first";
        }
        return turns[^1].Role == User ? null : $"item {turns.Count}: the last turn must be the user's (the model writes the next one), not the {turns[^1].Role}'s";
    }

    /// <summary>
    /// The prompt stored with a multi-turn item's result: a JSON array of <c>{"role", "content"}</c>, one turn per line,
    /// Chinese left unescaped, so it reads as the conversation, parses back (<see cref="FromStored"/>) and cannot be taken
    /// for a single-turn prompt (which is stored as the bare string, exactly as before conversations existed).
    /// </summary>
    public static string ToStored(IReadOnlyList<ChatTurn> turns)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < turns.Count; i++)
        {
            if (i > 0) text.Append(",\n ");
            text.Append(JsonSerializer.Serialize(turns[i], StoredJson));
        }
        return text.Append(']').ToString();
    }

    /// <summary>The conversation a stored prompt holds, or null when it is a single-turn prompt.</summary>
    public static IReadOnlyList<ChatTurn>? FromStored(string? prompt)
    {
        if (prompt is null || !prompt.StartsWith("[{\"role\":", StringComparison.Ordinal)) return null;
        try
        {
            using var document = JsonDocument.Parse(prompt);
            var (turns, problem) = Read(document.RootElement);
            return problem is null ? turns : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
