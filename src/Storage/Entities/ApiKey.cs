using System.Security.Cryptography;
using System.Text;

namespace Evals.Storage.Entities;

/// <summary>
/// A bearer key for the HTTP APIs (table <c>api_keys</c>). Only the SHA-256 of the key is stored: keys are 256 random
/// bits, so an unsalted fast hash is enough (as for GitHub tokens) and lets a request be checked with one index lookup.
/// </summary>
public class ApiKey
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary><c>v1</c> (the OpenAI-compatible API), <c>feedback</c>, or <c>admin</c> (signs in to the web admin pages).</summary>
    public required string Scope { get; set; }
    /// <summary>Lower-case hex SHA-256 of the whole key.</summary>
    public required string Hash { get; set; }
    /// <summary>The key's first characters, to tell keys apart in listings without revealing them.</summary>
    public required string Prefix { get; set; }
    /// <summary>Requests per minute this key may make; null for the server's default.</summary>
    public int? RequestsPerMinute { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    public const string KeyPrefix = "evk-";

    public static readonly IReadOnlyList<string> Scopes = ["v1", "feedback", "admin"];

    /// <summary>A new key: the prefix and 32 random bytes, base64url. Shown once; only its hash is kept.</summary>
    public static string NewKey() => KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
