using System.Collections.Concurrent;

namespace Evals.Web.V1;

/// <summary>
/// Keys of one scope recently found active, by hash, for an API that checks again in the same transaction as each write
/// that the key is still active (feedback's group commit, <see cref="Storage.Feedback.FeedbackGroupWriter"/>). A hit
/// saves the lookup, one query per request; revocation still takes effect at once, because that check refuses the
/// request and then drops the key from here (<see cref="Forget"/>). Only keys found are kept, so unknown keys are looked
/// up every time and guessing cannot fill it; at most <see cref="MaxEntries"/>, each for <see cref="Lifetime"/>, which
/// bounds only how long a revoked key nobody uses stays in memory.
/// </summary>
public sealed class RecheckedKeyCache(TimeProvider time)
{
    public const int MaxEntries = 10_000;
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, (AuthenticatedKey Key, DateTimeOffset Until)> _byHash = new(StringComparer.Ordinal);

    public AuthenticatedKey? Find(string hash) =>
        _byHash.TryGetValue(hash, out var entry) && entry.Until > time.GetUtcNow() ? entry.Key : null;

    public void Remember(string hash, AuthenticatedKey key)
    {
        if (_byHash.Count >= MaxEntries) _byHash.Clear();
        _byHash[hash] = (key, time.GetUtcNow() + Lifetime);
    }

    /// <summary>The key was found inactive where it was used: the next request with it is looked up again.</summary>
    public void Forget(Guid keyId)
    {
        foreach (var (hash, entry) in _byHash)
            if (entry.Key.Id == keyId) _byHash.TryRemove(hash, out _);
    }
}
