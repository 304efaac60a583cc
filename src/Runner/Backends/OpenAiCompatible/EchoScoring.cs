using System.Text;
using System.Text.Json;

namespace Evals.Runner.Backends.OpenAiCompatible;

/// <summary>A prompt echoed with its tokens' logprobs by /v1/completions; <see cref="Logprobs"/> is null when the answer had none.</summary>
internal sealed record EchoedPrompt(double?[]? Logprobs, int[] Offsets, int PromptTokens);

/// <summary>
/// Log-likelihood from a legacy completions answer with <c>echo</c>, <c>logprobs</c> and <c>max_tokens=0</c>, as
/// lm-evaluation-harness scores over such APIs: the continuation's score is the sum of the logprobs of the tokens that
/// start at or after the end of the context (by <c>text_offset</c>, counted in code points). The context's trailing
/// spaces belong to the continuation, as <see cref="Onnx.OnnxBackend"/> encodes them, so " A" stays one token and the
/// sum equals the in-process score whenever the server's tokenizer does not merge across that boundary.
/// </summary>
internal static class EchoScoring
{
    public static BinaryData Request(string model, string prompt)
    {
        var buffer = new MemoryStream(prompt.Length * 3 + model.Length + 96);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteString("prompt", prompt);
            json.WriteNumber("max_tokens", 0);
            json.WriteBoolean("echo", true);
            json.WriteNumber("logprobs", 0);
            json.WriteNumber("temperature", 0);
            json.WriteEndObject();
        }
        return new BinaryData(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>Reads the first choice's logprobs; throws <see cref="JsonException"/> when the body is not a completion.</summary>
    public static EchoedPrompt Parse(BinaryData body)
    {
        using var document = JsonDocument.Parse(body.ToMemory());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            throw new JsonException("the answer has no 'choices'");
        var promptTokens = root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
            && usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt32(out var n) ? n : 0;
        if (!choices[0].TryGetProperty("logprobs", out var logprobs) || logprobs.ValueKind != JsonValueKind.Object
            || !logprobs.TryGetProperty("token_logprobs", out var values) || values.ValueKind != JsonValueKind.Array
            || !logprobs.TryGetProperty("text_offset", out var offsets) || offsets.ValueKind != JsonValueKind.Array
            || values.GetArrayLength() != offsets.GetArrayLength() || values.GetArrayLength() == 0)
            return new EchoedPrompt(null, [], promptTokens);
        var lps = new double?[values.GetArrayLength()];
        var ofs = new int[lps.Length];
        var i = 0;
        foreach (var v in values.EnumerateArray()) lps[i++] = v.ValueKind == JsonValueKind.Null ? null : v.GetDouble();
        i = 0;
        foreach (var o in offsets.EnumerateArray()) ofs[i++] = o.GetInt32();
        return new EchoedPrompt(lps, ofs, promptTokens);
    }

    /// <summary>The continuation's log-likelihood and how many tokens the context and the continuation took.</summary>
    public static (double LogLikelihood, int ContextTokens, int ContinuationTokens) Split(EchoedPrompt echo, int contextEnd, string continuation)
    {
        var logprobs = echo.Logprobs ?? throw new InvalidDataException("the answer has no token logprobs");
        double sum = 0;
        var (before, after) = (0, 0);
        for (var t = 0; t < logprobs.Length; t++)
        {
            if (echo.Offsets[t] < contextEnd)
            {
                before++;
                continue;
            }
            sum += logprobs[t] ?? throw new InvalidDataException($"token {t} (offset {echo.Offsets[t]}) of continuation '{continuation}' has no logprob: the context must come first");
            after++;
        }
        if (after == 0) throw new InvalidDataException($"no echoed token starts at or after the context's end (character {contextEnd}) for continuation '{continuation}'");
        return (sum, before, after);
    }

    /// <summary>Length in Unicode code points, the unit of <c>text_offset</c> (Python's len).</summary>
    public static int CodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes()) count++;
        return count;
    }
}
