namespace Evals.Benchmarks.Metrics;

/// <summary>How item scores become a task score.</summary>
public enum Aggregation
{
    /// <summary>Unweighted mean of the per-item scores (accuracy, EM, F1).</summary>
    Mean,

    /// <summary>Computed over the whole confusion matrix at once, not per item (macro-F1).</summary>
    Corpus,
}

/// <summary>What every metric declares: its name as stored and shown, how it aggregates, and which way is better.</summary>
/// <param name="Overlap">
/// Scores text overlap with references (ROUGE, BLEU, Distinct): not a share of items answered right, so it has no chance
/// level and its raw value means nothing beside an accuracy. Such a task enters the capability roll-up only relative to
/// a reference run (CUGE's p/b), never raw.
/// </param>
public sealed record MetricInfo(string Name, Aggregation Aggregation, bool HigherIsBetter, string Description, bool Overlap = false);

/// <summary>The metrics tasks may name in their manifest's <c>metric</c>; one file each in this folder.</summary>
public static class MetricCatalog
{
    public static IReadOnlyList<MetricInfo> All { get; } =
        [Accuracy.Info, AccNormChars.Info, Cmrc2018Scorer.EmInfo, Cmrc2018Scorer.F1Info, MacroF1.Info, NonHallucinationRate.Info,
         Generation.Rouge.Rouge1Info, Generation.Rouge.Rouge2Info, Generation.Rouge.RougeLInfo, Generation.CorpusBleu.Info,
         Generation.DistinctN.InfoOf(1), Generation.DistinctN.InfoOf(2), Generation.DistinctN.InfoOf(3), Generation.DistinctN.InfoOf(4),
         Generation.KeywordPrecision.Info, PairwiseWinRate.Info, JudgeScore.Info];

    /// <summary>Whether a task's metric is an overlap metric (unknown names are not).</summary>
    public static bool IsOverlap(string name) => All.FirstOrDefault(m => m.Name == name)?.Overlap ?? false;

    public static MetricInfo Get(string name) =>
        All.FirstOrDefault(m => m.Name == name)
        ?? throw new KeyNotFoundException($"unknown metric '{name}'; known metrics: {string.Join(", ", All.Select(m => m.Name))}");
}
