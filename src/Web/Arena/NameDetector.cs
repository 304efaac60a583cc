using System.Text;

namespace Evals.Web.Arena;

/// <summary>
/// Finds a name that identifies a model in the answers of a battle: the admin-edited list (通义千问, Qwen, 文心一言, …)
/// and the registered models' own names and families. Matching is on NFKC-normalised, case-folded text, so full-width
/// Ｑｗｅｎ and QWEN match Qwen too.
/// </summary>
public sealed class NameDetector(IEnumerable<string> names)
{
    // Names of one or two Latin letters ("a", "yi") would flag ordinary answers.
    private readonly (string Name, string Folded)[] _names = names
        .Where(n => !string.IsNullOrWhiteSpace(n))
        .Select(n => (Name: n.Trim(), Folded: Fold(n.Trim())))
        .Where(n => n.Folded.Any(c => c > 0x7F) || n.Folded.Length >= 3)
        .DistinctBy(n => n.Folded)
        .OrderByDescending(n => n.Folded.Length) // report the most specific name: 通义千问 rather than 通义
        .ToArray();

    /// <summary>"answer A: 通义千问" for the first name found, or null when neither answer names a model.</summary>
    public string? Detect(string answerA, string answerB)
    {
        foreach (var (label, answer) in new[] { ("A", answerA), ("B", answerB) })
        {
            var folded = Fold(answer);
            foreach (var (name, f) in _names)
                if (folded.Contains(f, StringComparison.Ordinal)) return $"answer {label}: {name}";
        }
        return null;
    }

    private static string Fold(string text) => text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
}
