namespace Evals.Benchmarks.Statistics;

/// <summary>
/// Area under the ROC curve of a score against binary labels, computed as the Mann–Whitney statistic: the probability
/// that a random positive scores above a random negative, ties counting one half (Hanley &amp; McNeil 1982). Ties are
/// handled by mid-ranks, which gives the same value as scikit-learn's <c>roc_auc_score</c> (trapezoids through tied
/// thresholds). NaN when either class is empty. O(n log n).
/// </summary>
public static class Auroc
{
    public static double Compute(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        if (scores.Count != positive.Count) throw new ArgumentException($"{scores.Count} scores but {positive.Count} labels");
        if (scores.Any(double.IsNaN)) throw new ArgumentException("a score is NaN", nameof(scores));
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double positives = 0, rankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            var midRank = (start + end) / 2.0 + 1; // ranks are 1-based
            for (var i = start; i <= end; i++)
                if (positive[order[i]])
                {
                    positives++;
                    rankSum += midRank;
                }
            start = end + 1;
        }
        var negatives = scores.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }
}
