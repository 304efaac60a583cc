using System.Globalization;
using System.Text;

namespace Evals.Benchmarks.Hallucination;

/// <summary>
/// A judge-free consistency measure for SelfCheck (Manakul et al., 2023, "SelfCheckGPT": an answer the model would
/// not give again when sampled is likely hallucinated). Chinese has no spaces between words, so the unit is the
/// character n-gram: texts are NFKC-normalised, lower-cased, and stripped of whitespace, punctuation and symbols. The
/// support of the main answer by one sample is the clipped n-gram precision of the main answer against the sample
/// (each n-gram counts at most as often as it occurs in the sample, as BLEU clips), 0–1. The consistency is the mean
/// support over the samples, and <see cref="HallucinationLikelihood"/> is one minus it. An answer shorter than
/// <c>n</c> characters is compared by the n-grams it has (its whole text); an empty answer has no support (0).
/// SelfCheckGPT's own n-gram variant fits a unigram LM on the samples instead; overlap needs no smoothing choice.
/// </summary>
public static class NgramConsistency
{
    public const int DefaultN = 2;

    /// <summary>Share (0–1) of the main answer's character n-grams that also occur in the sample, clipped by count.</summary>
    public static double Support(string mainAnswer, string sample, int n = DefaultN)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var main = Normalise(mainAnswer);
        if (main.Length == 0) return 0;
        var size = Math.Min(n, main.Length);
        var mainGrams = Grams(main, size);
        var sampleGrams = Grams(Normalise(sample), size);
        var matched = mainGrams.Sum(g => Math.Min(g.Value, sampleGrams.GetValueOrDefault(g.Key)));
        return (double)matched / (main.Length - size + 1);
    }

    /// <summary>Mean <see cref="Support"/> of the main answer over the samples (0–1); NaN without samples.</summary>
    public static double Consistency(string mainAnswer, IReadOnlyList<string> samples, int n = DefaultN) =>
        samples.Count == 0 ? double.NaN : samples.Average(s => Support(mainAnswer, s, n));

    /// <summary>1 − <see cref="Consistency"/>: higher means more likely hallucinated.</summary>
    public static double HallucinationLikelihood(string mainAnswer, IReadOnlyList<string> samples, int n = DefaultN) =>
        1 - Consistency(mainAnswer, samples, n);

    /// <summary>The text compared: NFKC, lower case, without whitespace, punctuation or symbols.</summary>
    public static string Normalise(string text)
    {
        var normalised = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var kept = new StringBuilder(normalised.Length);
        foreach (var rune in normalised.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (Rune.IsWhiteSpace(rune) || Rune.IsPunctuation(rune) || Rune.IsSymbol(rune) || category == UnicodeCategory.Control) continue;
            kept.Append(rune.ToString());
        }
        return kept.ToString();
    }

    // n-grams of text elements would split surrogate pairs less often, but CJK Extension B characters are rare in answers;
    // chars keep this allocation-light. Texts are compared by UTF-16 code units throughout, consistently.
    private static Dictionary<string, int> Grams(string text, int n)
    {
        var grams = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + n <= text.Length; i++)
        {
            var gram = text.Substring(i, n);
            grams[gram] = grams.GetValueOrDefault(gram) + 1;
        }
        return grams;
    }
}
