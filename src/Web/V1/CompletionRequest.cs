using System.Text.Json;

namespace Evals.Web.V1;

/// <summary>
/// A legacy completions request (<c>POST /v1/completions</c>) as this server understands it: one prompt, optional echo
/// and per-token logprobs (0–5 alternatives, as OpenAI allows). <see cref="Parse"/> names the field that is wrong.
/// </summary>
public sealed record CompletionRequest(
    string Model,
    string Prompt,
    double Temperature,
    double TopP,
    int MaxTokens,
    int? Seed,
    IReadOnlyList<string> Stop,
    bool Stream,
    bool IncludeUsage,
    bool Echo,
    int? Logprobs)
{
    public const int MaxLogprobs = 5;

    /// <summary>Returns the request, or the offending field (OpenAI's <c>param</c>) and why.</summary>
    public static (CompletionRequest? Request, string? Param, string? Error) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, null, "The request body must be a JSON object.");
        var (common, param, error) = RequestFields.Common(body);
        if (common is null) return (null, param, error);
        if (!body.TryGetProperty("prompt", out var promptValue)) return (null, "prompt", "'prompt' is required: a string (or an array of one string).");
        var prompt = promptValue.ValueKind switch
        {
            JsonValueKind.String => promptValue.GetString(),
            JsonValueKind.Array when promptValue.GetArrayLength() == 1 && promptValue[0].ValueKind == JsonValueKind.String => promptValue[0].GetString(),
            _ => null,
        };
        if (prompt is null)
            return (null, "prompt", "'prompt' must be a string or an array of exactly one string (this server returns one choice per request; token-id prompts are not supported).");
        if (prompt.Length == 0) return (null, "prompt", "'prompt' must not be empty.");
        if (!RequestFields.Bool(body, "echo", out var echo)) return (null, "echo", "'echo' must be a boolean.");
        if (!RequestFields.Integer(body, "max_tokens", 16, 0, 32_768, out var maxTokens)) return (null, "max_tokens", "'max_tokens' must be an integer in [0, 32768].");
        if (maxTokens == 0 && !echo) return (null, "max_tokens", "'max_tokens' may be 0 only with \"echo\": true (scoring the prompt); otherwise it must be at least 1.");
        int? logprobs = null;
        if (body.TryGetProperty("logprobs", out var logprobsValue) && logprobsValue.ValueKind != JsonValueKind.Null)
        {
            if (logprobsValue.ValueKind != JsonValueKind.Number || !logprobsValue.TryGetInt32(out var k) || k is < 0 or > MaxLogprobs)
                return (null, "logprobs", $"'logprobs' must be an integer in [0, {MaxLogprobs}]: how many most likely tokens to list at each position.");
            logprobs = k;
        }
        if (!RequestFields.Integer(body, "best_of", 1, 1, 1, out _)) return (null, "best_of", "'best_of' must be 1: this server returns one choice per request.");
        if (body.TryGetProperty("suffix", out var suffix) && suffix.ValueKind != JsonValueKind.Null)
            return (null, "suffix", "'suffix' is not supported by this server (no insertion models are served).");
        return (new CompletionRequest(common.Model, prompt, common.Temperature, common.TopP, maxTokens, common.Seed, common.Stop, common.Stream,
            common.IncludeUsage, echo, logprobs), null, null);
    }
}
