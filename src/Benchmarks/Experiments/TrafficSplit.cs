using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Evals.Benchmarks.Experiments;

/// <summary>A variant of an online experiment and its share of traffic (any positive scale; shares are weight / sum).</summary>
public sealed record WeightedVariant(string Name, double Weight);

/// <summary>
/// Deterministic assignment of users to variants: SHA-256 of (experiment salt, user id) gives a point u in [0, 1), and
/// the variant is the one whose slice of the cumulative weights holds u. The same user in the same experiment gets the
/// same variant on every node and every call while the weights stay the same; different experiments (different salts)
/// split users independently. The hash's first 53 bits make u uniform to far below the 1% the split is checked to.
/// </summary>
public static class TrafficSplit
{
    public static string Assign(string salt, string userId, IReadOnlyList<WeightedVariant> variants)
    {
        Validate(variants);
        var u = Point(salt, userId);
        var total = variants.Sum(v => v.Weight);
        var cumulative = 0.0;
        for (var i = 0; i < variants.Count - 1; i++)
        {
            cumulative += variants[i].Weight / total;
            if (u < cumulative) return variants[i].Name;
        }
        return variants[^1].Name;
    }

    /// <summary>The user's point in [0, 1) for this salt.</summary>
    public static double Point(string salt, string userId)
    {
        var bytes = Encoding.UTF8.GetBytes($"{salt}\n{userId}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem: fewer than two variants, a blank or repeated name, a weight that is not positive and finite.</summary>
    public static void Validate(IReadOnlyList<WeightedVariant> variants)
    {
        if (variants.Count < 2) throw new ArgumentException($"an experiment needs at least two variants (got {variants.Count})");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in variants)
        {
            if (string.IsNullOrWhiteSpace(v.Name)) throw new ArgumentException("a variant's name is blank");
            if (!seen.Add(v.Name)) throw new ArgumentException($"variant '{v.Name}' is declared twice");
            if (!double.IsFinite(v.Weight) || v.Weight <= 0) throw new ArgumentException($"variant '{v.Name}': weight {v.Weight} must be a positive number");
        }
    }
}
