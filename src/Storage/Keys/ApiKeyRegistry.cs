using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Storage.Keys;

/// <summary>An API key as listings show it: never the key, only its first characters.</summary>
public sealed record ApiKeyListing(Guid Id, string Name, string Scope, string Prefix, int? RequestsPerMinute, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A key that cannot be created as asked; <see cref="Field"/> is name, scope or rpm.</summary>
public sealed class ApiKeyInputException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// The one place API keys are created, listed and revoked, with their rules: <c>evals keys</c> and the /admin/keys
/// page both call it. A new key is returned once; only its SHA-256 and first characters are stored.
/// </summary>
public static class ApiKeyRegistry
{
    public const int PrefixLength = 10;

    /// <summary>Creates a key and returns it (the only time it exists in plain text); throws <see cref="ApiKeyInputException"/> naming the field.</summary>
    public static async Task<string> CreateAsync(EvalsDbContext db, TimeProvider time, string? name, string? scope, int? requestsPerMinute, CancellationToken cancellationToken = default)
    {
        var keyName = name?.Trim() ?? "";
        if (keyName.Length == 0) throw new ApiKeyInputException("name", "must not be empty");
        var keyScope = scope?.Trim() ?? "";
        if (!ApiKey.Scopes.Contains(keyScope)) throw new ApiKeyInputException("scope", $"'{keyScope}' must be one of {string.Join(", ", ApiKey.Scopes)}");
        if (requestsPerMinute is < 1) throw new ApiKeyInputException("rpm", $"must be at least 1 (got {requestsPerMinute})");
        var key = ApiKey.NewKey();
        var now = time.GetUtcNow();
        var entity = new ApiKey
        {
            Id = Guid.CreateVersion7(now),
            Name = keyName,
            Scope = keyScope,
            Hash = ApiKey.HashOf(key),
            Prefix = key[..Math.Min(PrefixLength, key.Length)],
            RequestsPerMinute = requestsPerMinute,
            CreatedAt = now,
        };
        db.ApiKeys.Add(entity);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            db.Entry(entity).State = EntityState.Detached;
            throw new ApiKeyInputException("name", $"'{keyName}': a key with that name exists");
        }
        return key;
    }

    public static async Task<IReadOnlyList<ApiKeyListing>> ListAsync(EvalsDbContext db, CancellationToken cancellationToken = default) =>
        await db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ThenBy(k => k.Name)
            .Select(k => new ApiKeyListing(k.Id, k.Name, k.Scope, k.Prefix, k.RequestsPerMinute, k.CreatedAt, k.RevokedAt))
            .ToListAsync(cancellationToken);

    /// <summary>Revokes the active key with this name; it stops working on its next request. False when there is none.</summary>
    public static async Task<bool> RevokeAsync(EvalsDbContext db, TimeProvider time, string name, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        return await db.ApiKeys.Where(k => k.Name == name && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), cancellationToken) > 0;
    }
}
