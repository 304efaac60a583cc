namespace Evals.Benchmarks.Metrics;

/// <summary>
/// Macro-averaged F1 for classification, as scikit-learn's <c>f1_score(average="macro")</c> computes it: the classes are
/// those seen among the gold labels or the predictions; each class's F1 is 2·TP / (2·TP + FP + FN) (0 when TP = 0); the
/// score is their unweighted mean, ×100. Every asked item enters (a miss is a miss): a prediction of
/// <see cref="NoAnswer"/> (unparseable, refused) is a false negative of its gold class and no class of its own, as a
/// scorer that maps every unreadable answer to "wrong" counts it. Higher is better; it aggregates over the whole
/// confusion matrix, not per item.
/// </summary>
public static class MacroF1
{
    public const string Name = "macro_f1";

    /// <summary>The predicted class of an item with no answer.</summary>
    public const int NoAnswer = -1;

    public static readonly MetricInfo Info = new(Name, Aggregation.Corpus, HigherIsBetter: true,
        "unweighted mean over classes of each class's F1");

    public static double Compute(IReadOnlyList<int> gold, IReadOnlyList<int> predicted)
    {
        if (gold.Count != predicted.Count) throw new ArgumentException($"{gold.Count} gold labels but {predicted.Count} predictions");
        if (gold.Count == 0) return 0;
        var classes = gold.Concat(predicted).Where(c => c != NoAnswer).Distinct().ToList();
        var truePositives = new Dictionary<int, int>();
        var goldCounts = new Dictionary<int, int>();
        var predictedCounts = new Dictionary<int, int>();
        for (var i = 0; i < gold.Count; i++)
        {
            goldCounts[gold[i]] = goldCounts.GetValueOrDefault(gold[i]) + 1;
            predictedCounts[predicted[i]] = predictedCounts.GetValueOrDefault(predicted[i]) + 1;
            if (gold[i] == predicted[i]) truePositives[gold[i]] = truePositives.GetValueOrDefault(gold[i]) + 1;
        }
        var sum = 0.0;
        foreach (var c in classes)
        {
            var tp = truePositives.GetValueOrDefault(c);
            // 2·TP + FP + FN = (TP + FP) + (TP + FN) = predicted count + gold count.
            var denominator = predictedCounts.GetValueOrDefault(c) + goldCounts.GetValueOrDefault(c);
            sum += tp == 0 ? 0 : 2.0 * tp / denominator;
        }
        return 100.0 * sum / classes.Count;
    }
}
