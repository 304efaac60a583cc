using System.Security.Cryptography;
using System.Text;

namespace Evals.Storage.Keys;

/// <summary>
/// The 256-bit key that encrypts the data-protection key ring at rest, derived (HKDF-SHA256) from a secret every web node
/// is given: <c>DataProtection:KeySecret</c> when set, else the database password of the connection string (which a
/// database dump does not contain). <see cref="Source"/> says which, for the startup log; the secret itself is never logged.
/// </summary>
public sealed class KeyRingSecret
{
    private KeyRingSecret(byte[] key, string source)
    {
        Key = key;
        Source = source;
    }

    public byte[] Key { get; }
    public string Source { get; }

    /// <summary>Null when neither a configured secret nor a database password exists: the key ring then stays per node.</summary>
    public static KeyRingSecret? From(string? configuredSecret, string connectionString)
    {
        if (!string.IsNullOrEmpty(configuredSecret))
            return new(Derive(configuredSecret), "DataProtection:KeySecret");
        var password = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Password;
        return string.IsNullOrEmpty(password) ? null : new(Derive(password), "the database password");
    }

    private static byte[] Derive(string secret) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32,
            salt: Encoding.ASCII.GetBytes("evals data-protection key ring"), info: Encoding.ASCII.GetBytes("aes-256-gcm v1"));
}
