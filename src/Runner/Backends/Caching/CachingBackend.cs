using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Caching;

/// <summary>
/// Puts the response cache in front of any backend. The key is a SHA-256 of (model identity, kind, the full request
/// with its decoding parameters) and, when the call samples without a seed, of the sample index: the n-th identical
/// sampled request made through this instance (one run's execution) is sample n, so a rerun replays the same samples
/// and repeated sampling within a run still gets distinct answers; a request with its own sample index
/// (<see cref="GenerateRequest.Sample"/>, SelfCheck) is keyed by that index instead. Refusals are cached (they are the model's answer);
/// errors are not, so a retry calls the model again.
/// </summary>
public sealed class CachingBackend(IModelBackend inner, ResponseCache cache, string modelIdentity, bool specSamples) : IModelBackend
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly ConcurrentDictionary<string, int> _samples = new(StringComparer.Ordinal);

    public IModelBackend Inner => inner;
    public ModelCapabilities Capabilities => inner.Capabilities;
    public string Description => inner.Description + "; response cache on";

    public async Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        // A request that names its sample index carries it in the key already (it is part of the request JSON).
        var sampling = (request.Decoding.Temperature > 0 || specSamples) && request.Decoding.Seed is null && request.Sample is null;
        var key = Key(GenerateKeyText(modelIdentity, request), sampling);
        if (await cache.GetAsync(key, cancellationToken) is { } hit)
        {
            var stored = JsonSerializer.Deserialize<StoredGeneration>(hit, Json)!;
            if (stored.Refused is { } refusal) throw new ModelRefusedException(refusal + " (cached)");
            return new Generation(stored.Text ?? "", stored.PromptTokens, stored.CompletionTokens, stored.FinishReason, new CallStats(Cached: true));
        }
        Generation generation;
        try
        {
            generation = await inner.GenerateAsync(request, cancellationToken);
        }
        catch (ModelRefusedException e)
        {
            await cache.PutAsync(key, modelIdentity, "generate", JsonSerializer.Serialize(new StoredGeneration(null, 0, 0, null, e.Message), Json), cancellationToken);
            throw;
        }
        var toStore = new StoredGeneration(generation.Text, generation.PromptTokens, generation.CompletionTokens, generation.FinishReason, null);
        await cache.PutAsync(key, modelIdentity, "generate", JsonSerializer.Serialize(toStore, Json), cancellationToken);
        return generation;
    }

    public async Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default)
    {
        var key = Key(ScoreKeyText(modelIdentity, request), sampling: false);
        if (await cache.GetAsync(key, cancellationToken) is { } hit)
        {
            var stored = JsonSerializer.Deserialize<StoredScores>(hit, Json)!;
            return new ChoiceScores(stored.LogLikelihoods, stored.PromptTokens, stored.CompletionTokens, new CallStats(Cached: true));
        }
        var scores = await inner.ScoreChoicesAsync(request, cancellationToken);
        await cache.PutAsync(key, modelIdentity, "score",
            JsonSerializer.Serialize(new StoredScores(scores.LogLikelihoods, scores.PromptTokens, scores.CompletionTokens), Json), cancellationToken);
        return scores;
    }

    /// <summary>What the key of a generation hashes (before any sample index): the model, the kind and the request as JSON.</summary>
    internal static string GenerateKeyText(string modelIdentity, GenerateRequest request) =>
        $"{modelIdentity}\ngenerate\n{JsonSerializer.Serialize(request, Json)}";

    internal static string ScoreKeyText(string modelIdentity, ChoiceRequest request) =>
        $"{modelIdentity}\nscore\n{JsonSerializer.Serialize(request, Json)}";

    /// <summary>The cache key of a call that does not sample.</summary>
    internal static string KeyOf(string keyText) => Hash(keyText);

    private string Key(string keyText, bool sampling)
    {
        var text = keyText;
        if (sampling)
        {
            var sample = _samples.AddOrUpdate(Hash(text), 0, (_, n) => n + 1);
            text += $"\nsample {sample}";
        }
        return Hash(text);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private sealed record StoredGeneration(string? Text, int PromptTokens, int CompletionTokens, string? FinishReason, string? Refused);

    private sealed record StoredScores(IReadOnlyList<double> LogLikelihoods, int PromptTokens, int CompletionTokens);
}
