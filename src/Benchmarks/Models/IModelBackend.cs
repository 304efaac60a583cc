namespace Evals.Benchmarks.Models;

/// <summary>
/// A model that suites can query. Implementations live in src/Runner/Backends; baselines live here because they need no engine.
/// Shaped after lm-evaluation-harness's <c>api/model.py</c>: generation until a stop sequence, and the log-likelihood of a
/// continuation given a context (which chat endpoints usually cannot give: see <see cref="ModelCapabilities"/>).
/// </summary>
public interface IModelBackend : IAsyncDisposable
{
    ModelCapabilities Capabilities { get; }

    /// <summary>What serves the model (library, device, provider, fallbacks), recorded with the run.</summary>
    string Description => GetType().Name;

    Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default);

    /// <summary>Log-likelihood of each continuation given the context, in the order given.</summary>
    Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default);
}

/// <param name="LogLikelihood">Whether <see cref="IModelBackend.ScoreChoicesAsync"/> is supported.</param>
/// <param name="MaxConcurrency">How many requests the backend is happy to serve at once.</param>
/// <param name="LogLikelihoodIfAsked">
/// Scoring may work but is not the default (mode auto): an endpoint that is only known to support it once asked, whose
/// <see cref="IModelBackend.ScoreChoicesAsync"/> throws <see cref="LogLikelihoodUnavailableException"/> when it does not.
/// </param>
public sealed record ModelCapabilities(bool LogLikelihood, bool Generate, int MaxConcurrency, bool LogLikelihoodIfAsked = false);

/// <summary>What a backend may know about the task an item comes from (baselines need the majority label).</summary>
public sealed record TaskContext(string TaskName, int? MajorityChoice);

public sealed record DecodingOptions(double Temperature = 0, double TopP = 1, int MaxTokens = 256, int? Seed = null);

/// <param name="Prompt">A single-turn prompt; for a conversation, its stored form (<see cref="Conversation.ToStored"/>).</param>
/// <param name="Sample">SelfCheck: which of an item's sampled answers this is (0, 1, …); the response cache keys on it,
/// so a rerun replays sample n as sample n. Null for an ordinary call.</param>
/// <param name="Messages">
/// A multi-turn prompt: the whole conversation, ending with the user's turn; backends send or template these turns, not
/// <paramref name="Prompt"/>. Null for a single-turn prompt, which then serialises (and is cached) exactly as before.
/// </param>
public sealed record GenerateRequest(
    TaskContext Task,
    string ItemId,
    string Prompt,
    IReadOnlyList<string> StopSequences,
    DecodingOptions Decoding,
    IReadOnlyList<string>? Choices = null,
    int? Sample = null,
    IReadOnlyList<ChatTurn>? Messages = null)
{
    /// <summary>The conversation to answer: <see cref="Messages"/>, or the prompt as the user's one turn.</summary>
    public IReadOnlyList<ChatTurn> Turns() => Messages ?? [new ChatTurn(Conversation.User, Prompt)];
}

public sealed record Generation(string Text, int PromptTokens, int CompletionTokens, string? FinishReason = null, CallStats? Stats = null);

/// <summary>What a call cost besides tokens: money (when the model has a price), time to first token when streamed,
/// and whether it was answered from the response cache (then it cost nothing).</summary>
public sealed record CallStats(double Cost = 0, double? TimeToFirstTokenMs = null, bool Cached = false);

/// <param name="Context">The text the continuations follow; for a conversation, its stored form.</param>
/// <param name="Messages">
/// A conversation as the context: each continuation is scored as the start of the assistant's reply to it, which needs the
/// model's chat template (in-process models have it; a remote endpoint's is unknown, so such backends refuse).
/// </param>
public sealed record ChoiceRequest(TaskContext Task, string ItemId, string Context, IReadOnlyList<string> Continuations,
    IReadOnlyList<ChatTurn>? Messages = null);

/// <param name="LogLikelihoods">One per continuation, natural log, summed over the continuation's tokens.</param>
public sealed record ChoiceScores(IReadOnlyList<double> LogLikelihoods, int PromptTokens, int CompletionTokens = 0, CallStats? Stats = null);
