namespace Evals.Benchmarks.Suites.Hallucination;

/// <summary>
/// The kinds of hallucination question. HalluQA's <c>Category</c> gives the first three; <c>unanswerable</c> is for a
/// team's own questions whose right answer says the answer cannot be known. Whatever its kind, an item is also
/// flagged <c>unanswerable</c> when its first reference answer says it cannot be known (HalluQA: "这个问题无法回答。"
/// for future events, questions whose answer changes every year, …; see <see cref="HalluQaReader"/>).
/// </summary>
public static class HallucinationKinds
{
    /// <summary>A false premise or a common misconception; the right answer corrects it.</summary>
    public const string Misleading = "misleading";
    /// <summary>HalluQA's harder misleading questions (人为误导), written against GPT-4.</summary>
    public const string MisleadingHard = "misleading-hard";
    /// <summary>A plain knowledge question; hallucination is a made-up fact.</summary>
    public const string Knowledge = "knowledge";
    /// <summary>The right answer says that nobody can know (future events, random outcomes).</summary>
    public const string Unanswerable = "unanswerable";

    public static IReadOnlyList<string> All { get; } = [Misleading, MisleadingHard, Knowledge, Unanswerable];

    /// <summary>HalluQA's <c>Category</c> value (Misleading, Misleading-hard, Knowledge; Unanswerable for own questions), any case.</summary>
    public static string? FromCategory(string category) =>
        All.FirstOrDefault(k => string.Equals(k, category.Trim().Replace('_', '-'), StringComparison.OrdinalIgnoreCase));
}
