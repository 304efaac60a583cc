using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Experiments;

/// <summary>One task's per-item scores (0–100) for every variant, aligned: <c>Scores[v][i]</c> is variant v on item <c>Keys[i]</c>.</summary>
public sealed record VariantTask(string Name, string Metric, IReadOnlyList<string> Keys, IReadOnlyList<double[]> Scores);

/// <summary>A variant's score on a task or overall with its interval (Wilson for accuracy-type tasks, else bootstrap).</summary>
public sealed record VariantScore(string Variant, string Task, int N, double Score, double CiLow, double CiHigh);

/// <summary>An item on which the variants did not all score the same; scores in variant order.</summary>
public sealed record Disagreement(string Task, string Key, IReadOnlyList<double> Scores);

/// <summary>Variant <see cref="First"/> minus variant <see cref="Second"/>; <see cref="AdjustedP"/> is Holm-adjusted over all pairs' overall tests.</summary>
public sealed record VariantPair(string First, string Second, PairedDifference Overall, double AdjustedP, bool Significant, IReadOnlyList<PairedDifference> Tasks);

/// <param name="Winner">The variant better than every other with significance, or null.</param>
public sealed record VariantReport(
    IReadOnlyList<string> Variants,
    IReadOnlyList<VariantScore> Scores,
    IReadOnlyList<VariantPair> Pairs,
    IReadOnlyList<Disagreement> Disagreements,
    string? Winner,
    string Verdict,
    double Alpha);

/// <summary>
/// The offline prompt A/B comparison: every variant ran on the same items, so variants are compared in pairs with the
/// paired tests of <see cref="PairedComparison"/> (McNemar per accuracy-type task, stratified paired bootstrap overall).
/// The overall p-values of all pairs are adjusted together (<see cref="Holm"/>), and a winner is declared only when it
/// beats every other variant on the overall score with an adjusted p below α; otherwise there is no winner, whatever
/// the point estimates say.
/// </summary>
public static class VariantComparison
{
    public static VariantReport Compare(IReadOnlyList<string> variants, IReadOnlyList<VariantTask> tasks, double alpha = 0.05, int rounds = 10_000, long seed = 0)
    {
        if (variants.Count < 2) throw new ArgumentException("needs at least two variants");
        if (alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(alpha));
        foreach (var task in tasks)
        {
            if (task.Scores.Count != variants.Count) throw new ArgumentException($"task {task.Name}: {task.Scores.Count} score lists for {variants.Count} variants");
            if (task.Scores.Any(s => s.Length != task.Keys.Count)) throw new ArgumentException($"task {task.Name}: every variant needs a score for each of its {task.Keys.Count} items");
        }
        var scores = new List<VariantScore>();
        for (var v = 0; v < variants.Count; v++)
        {
            foreach (var (task, t) in tasks.Select((t, i) => (t, i)))
                scores.Add(Score(variants[v], task.Name, task.Scores[v], PairedComparison.TaskSeed(seed, t), rounds, alpha));
            scores.Add(OverallScore(variants[v], tasks.Select(t => t.Scores[v]).ToList(), seed, rounds, alpha));
        }

        var pairs = new List<(int I, int J, PairedDifference Overall, IReadOnlyList<PairedDifference> Tasks)>();
        for (var i = 0; i < variants.Count; i++)
            for (var j = i + 1; j < variants.Count; j++)
            {
                var paired = tasks.Select(t => new PairedTask(t.Name, t.Metric, t.Scores[j], t.Scores[i])).ToList();
                var (perTask, overall) = PairedComparison.All(paired, rounds, seed, 1 - alpha);
                pairs.Add((i, j, overall, perTask));
            }
        var adjusted = Holm.Adjust(pairs.Select(p => p.Overall.PValue).ToArray());
        var report = pairs.Select((p, k) => new VariantPair(variants[p.J], variants[p.I], p.Overall, adjusted[k], adjusted[k] < alpha, p.Tasks)).ToList();

        string? winner = null;
        foreach (var candidate in variants)
        {
            var beatsAll = report.All(p =>
                p.First == candidate ? p.Significant && p.Overall.Difference > 0
                : p.Second == candidate ? p.Significant && p.Overall.Difference < 0
                : true);
            if (beatsAll) winner = candidate;
        }
        var verdict = winner is not null
            ? $"{winner} wins: better than every other variant on the overall score (Holm-adjusted p < {alpha})"
            : "no winner: no variant is better than all the others with significance at α = " + alpha;

        var disagreements = new List<Disagreement>();
        foreach (var task in tasks)
            for (var i = 0; i < task.Keys.Count; i++)
            {
                var first = task.Scores[0][i];
                if (task.Scores.Any(s => s[i] != first))
                    disagreements.Add(new Disagreement(task.Name, task.Keys[i], task.Scores.Select(s => s[i]).ToList()));
            }
        return new VariantReport(variants, scores, report, disagreements, winner, verdict, alpha);
    }

    private static VariantScore Score(string variant, string task, double[] values, long seed, int rounds, double alpha)
    {
        if (values.Length == 0) return new VariantScore(variant, task, 0, 0, 0, 0);
        if (values.All(v => v is 0 or 100))
        {
            var correct = values.Count(v => v == 100);
            var (low, high) = WilsonInterval.Compute(correct, values.Length, SpecialFunctions.NormalQuantile(1 - alpha / 2));
            return new VariantScore(variant, task, values.Length, 100.0 * correct / values.Length, low, high);
        }
        var interval = BootstrapMeanInterval.Compute(values, rounds, seed, 1 - alpha);
        return new VariantScore(variant, task, values.Length, interval.Mean, interval.CiLow, interval.CiHigh);
    }

    /// <summary>The mean of task means with a stratified bootstrap interval (items resampled within each task).</summary>
    private static VariantScore OverallScore(string variant, IReadOnlyList<double[]> tasks, long seed, int rounds, double alpha)
    {
        var scored = tasks.Where(t => t.Length > 0).ToList();
        if (scored.Count == 0) return new VariantScore(variant, "overall", 0, 0, 0, 0);
        var sums = new double[rounds];
        for (var t = 0; t < scored.Count; t++)
        {
            var means = BootstrapMeans.Resample(scored[t], rounds, PairedComparison.TaskSeed(seed, t), -1);
            for (var r = 0; r < rounds; r++) sums[r] += means[r] / scored.Count;
        }
        Array.Sort(sums);
        var (low, high) = BootstrapMeans.PercentileInterval(sums, 1 - alpha);
        return new VariantScore(variant, "overall", scored.Sum(t => t.Length), scored.Average(t => t.Average()), low, high);
    }
}
