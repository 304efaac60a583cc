namespace Evals.Benchmarks.Models;

/// <summary>
/// A backend that continues raw text (no chat template) and can give each token's log-probability, as OpenAI's legacy
/// completions protocol does. With echo the prompt's own tokens come back scored too, which is how log-likelihoods are
/// scored over HTTP (lm-evaluation-harness's <c>local-completions</c>, vLLM's <c>echo</c> + <c>logprobs</c>).
/// </summary>
public interface ICompletionModelBackend : IModelBackend
{
    /// <summary>Continues <see cref="TextCompletionRequest.Prompt"/>, calling <paramref name="onText"/> with each new piece of generated text.</summary>
    Task<TextCompletion> CompleteAsync(TextCompletionRequest request, Action<string>? onText = null, CancellationToken cancellationToken = default);
}

/// <param name="Decoding">MaxTokens may be 0: nothing is generated (scoring the prompt only).</param>
/// <param name="Logprobs">Null: no log-probabilities. k ≥ 0: each token's, with the k most likely tokens at its position.</param>
public sealed record TextCompletionRequest(string Prompt, IReadOnlyList<string> StopSequences, DecodingOptions Decoding, bool Echo, int? Logprobs);

/// <param name="Text">The generated text only (without the prompt).</param>
/// <param name="Tokens">
/// With logprobs: the prompt's tokens when echoed, then the generated ones. Offsets count characters (Unicode code
/// points, as Python's str does) from the start of the echoed prompt, or of the generated text without echo.
/// </param>
public sealed record TextCompletion(string Text, int PromptTokens, int CompletionTokens, string FinishReason, IReadOnlyList<TokenLogprob>? Tokens);

/// <param name="Token">The token's text; a token that is not whole UTF-8 on its own is written as <c>bytes:\xNN…</c> (vLLM's convention).</param>
/// <param name="Logprob">Natural log; null for the first token of the text, which nothing conditions.</param>
/// <param name="Top">The most likely tokens at this position, best first (empty for the first token).</param>
public sealed record TokenLogprob(string Token, double? Logprob, int TextOffset, IReadOnlyList<KeyValuePair<string, double>> Top);
