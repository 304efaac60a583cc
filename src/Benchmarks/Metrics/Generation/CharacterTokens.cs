using System.Text;

namespace Evals.Benchmarks.Metrics.Generation;

/// <summary>
/// Character-level tokens for ROUGE and distinct-n: every Unicode scalar value that is not white space, lower-cased
/// (invariant culture). This is what CLGE's official scorer does before calling the PyPI <c>rouge</c> package
/// (<c>' '.join(text).lower()</c>, then a split on spaces), and, with the Chinese T5 vocabulary, what CSL's UER
/// tokenisation gives for Chinese text. A Latin word therefore counts letter by letter, as in those scorers.
/// Tokens are code points, so n-grams pack into integers (<see cref="NgramKey"/>) instead of strings.
/// </summary>
public static class CharacterTokens
{
    public static int[] Of(string? text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        var tokens = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune)) continue;
            tokens.Add(Rune.ToLowerInvariant(rune).Value);
        }
        return tokens.ToArray();
    }

    /// <summary>The n-gram (1 ≤ n ≤ 3) starting at <paramref name="start"/> as one number: code points are below 2^21, so three fit in 63 bits.</summary>
    public static long NgramKey(ReadOnlySpan<int> tokens, int start, int n)
    {
        long key = 0;
        for (var i = 0; i < n; i++) key = (key << 21) | (uint)tokens[start + i];
        return key;
    }
}
