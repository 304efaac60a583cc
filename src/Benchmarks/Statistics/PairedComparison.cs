namespace Evals.Benchmarks.Statistics;

/// <summary>
/// One task's per-item scores (0–100) for two systems on the same items, aligned by index (item i of <see cref="A"/> and
/// item i of <see cref="B"/> are the same item). Differences are A − B.
/// </summary>
public sealed record PairedTask(string Name, string Metric, double[] A, double[] B)
{
    /// <summary>Accuracy-type: every score is 0 or 100, so each item is a pair of binary outcomes and McNemar applies.</summary>
    public bool Binary => A.All(IsBinary) && B.All(IsBinary);

    private static bool IsBinary(double score) => score is 0 or 100;
}

/// <summary>The difference A − B on one task, or on the overall score, with its interval and test.</summary>
/// <param name="Test"><c>mcnemar</c> for accuracy-type tasks, else <c>paired bootstrap</c>; <see cref="PValue"/> is that test's.</param>
/// <param name="BootstrapP">The paired bootstrap's two-sided p-value, reported beside McNemar's.</param>
public sealed record PairedDifference(
    string Name,
    string Metric,
    int N,
    double MeanA,
    double MeanB,
    double Difference,
    double CiLow,
    double CiHigh,
    double Confidence,
    double BootstrapP,
    McNemarResult? McNemar,
    string Test,
    double PValue);

/// <summary>
/// Paired comparisons of two systems task by task (<see cref="Task"/>) and on the overall score, the unweighted mean of
/// the task scores as the run summary defines it (<see cref="Overall"/>). The overall interval is a stratified paired
/// bootstrap: each round resamples every task's items within that task (tasks are fixed strata, as the benchmark fixes
/// them) and averages the tasks' resampled mean differences. Task t draws from its own seed, derived from the seed and t,
/// so a task's rounds in <see cref="Overall"/> are exactly the rounds <see cref="Task"/> used. The overall test is the
/// bootstrap's, or McNemar's on the pooled pairs where that is exact (see <see cref="Overall"/>).
/// </summary>
public static class PairedComparison
{
    public const string McNemarTest = "mcnemar";
    public const string BootstrapTest = "paired bootstrap";

    public static PairedDifference Task(PairedTask task, int rounds = 10_000, long seed = 0, double confidence = 0.95, int maxDegreeOfParallelism = -1)
    {
        if (task.A.Length == 0) throw new ArgumentException($"task {task.Name}: no paired items to compare");
        var bootstrap = PairedBootstrap.Compute(task.A, task.B, rounds, seed, confidence, maxDegreeOfParallelism);
        McNemarResult? mcnemar = null;
        if (task.Binary)
        {
            int b = 0, c = 0;
            for (var i = 0; i < task.A.Length; i++)
            {
                if (task.A[i] > task.B[i]) b++;
                else if (task.A[i] < task.B[i]) c++;
            }
            mcnemar = McNemar.Test(b, c);
        }
        return new PairedDifference(task.Name, task.Metric, task.A.Length, bootstrap.MeanA, bootstrap.MeanB, bootstrap.Difference,
            bootstrap.CiLow, bootstrap.CiHigh, confidence, bootstrap.PValue, mcnemar,
            mcnemar is null ? BootstrapTest : McNemarTest, mcnemar?.PValue ?? bootstrap.PValue);
    }

    /// <summary>The seed task number <paramref name="index"/> uses, so that per-task and overall resamples agree.</summary>
    public static long TaskSeed(long seed, int index) => (long)SeededRandom.ForStream(seed, -1 - (long)index).NextUInt64();

    /// <summary>Per-task comparisons (seeded by <see cref="TaskSeed"/>) and the overall one, over the same rounds.</summary>
    public static (IReadOnlyList<PairedDifference> Tasks, PairedDifference Overall) All(
        IReadOnlyList<PairedTask> tasks, int rounds = 10_000, long seed = 0, double confidence = 0.95, int maxDegreeOfParallelism = -1)
    {
        var perTask = tasks.Select((t, i) => Task(t, rounds, TaskSeed(seed, i), confidence, maxDegreeOfParallelism)).ToList();
        return (perTask, Overall(tasks, rounds, seed, confidence, maxDegreeOfParallelism));
    }

    public static PairedDifference Overall(IReadOnlyList<PairedTask> tasks, int rounds = 10_000, long seed = 0, double confidence = 0.95, int maxDegreeOfParallelism = -1)
    {
        if (tasks.Count == 0) throw new ArgumentException("no tasks to compare");
        var sums = new double[rounds];
        double meanA = 0, meanB = 0;
        for (var t = 0; t < tasks.Count; t++)
        {
            var (a, b) = (tasks[t].A, tasks[t].B);
            if (a.Length != b.Length) throw new ArgumentException($"task {tasks[t].Name}: {a.Length} scores against {b.Length}");
            if (a.Length == 0) throw new ArgumentException($"task {tasks[t].Name}: no paired items to compare");
            var differences = new double[a.Length];
            for (var i = 0; i < a.Length; i++) differences[i] = a[i] - b[i];
            var means = BootstrapMeans.Resample(differences, rounds, TaskSeed(seed, t), maxDegreeOfParallelism);
            for (var r = 0; r < rounds; r++) sums[r] += means[r];
            meanA += a.Average();
            meanB += b.Average();
        }
        var count = tasks.Count;
        for (var r = 0; r < rounds; r++) sums[r] /= count;
        Array.Sort(sums);
        var (low, high) = BootstrapMeans.PercentileInterval(sums, confidence);
        var p = BootstrapMeans.TwoSidedPValue(sums);
        var metric = tasks.Select(t => t.Metric).Distinct().Count() == 1 ? tasks[0].Metric : "mean of task scores";
        // The bootstrap's p-value is anti-conservative when few items disagree (4 of 500 discordant, all one way: about
        // 0.04, where McNemar's exact test gives 0.125). When the overall score is an equally weighted mean of binary
        // items (one task, or tasks of equal size), McNemar on the pooled discordant pairs is the exact test and decides.
        McNemarResult? mcnemar = null;
        if (tasks.All(t => t.Binary && t.A.Length == tasks[0].A.Length))
        {
            int b = 0, c = 0;
            foreach (var t in tasks)
                for (var i = 0; i < t.A.Length; i++)
                {
                    if (t.A[i] > t.B[i]) b++;
                    else if (t.A[i] < t.B[i]) c++;
                }
            mcnemar = McNemar.Test(b, c);
        }
        return new PairedDifference("overall", metric, tasks.Sum(t => t.A.Length), meanA / count, meanB / count, (meanA - meanB) / count,
            low, high, confidence, p, mcnemar, mcnemar is null ? BootstrapTest : McNemarTest, mcnemar?.PValue ?? p);
    }
}
