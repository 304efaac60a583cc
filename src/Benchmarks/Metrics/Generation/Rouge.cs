namespace Evals.Benchmarks.Metrics.Generation;

/// <summary>ROUGE-1, ROUGE-2 and ROUGE-L F-measures of one output, 0–100.</summary>
public readonly record struct RougeScores(double Rouge1, double Rouge2, double RougeL);

/// <summary>
/// ROUGE F-measures (Lin 2004) over character tokens (<see cref="CharacterTokens"/>): ROUGE-N counts n-grams with
/// clipping (an n-gram matches at most as often as it occurs in the reference), ROUGE-L uses the longest common
/// subsequence; F = 2PR/(P+R), as Google's <c>rouge-score</c> and ROUGE-1.5.5 compute them for one sentence. With
/// several references each metric takes its best reference (<c>rouge-score</c>'s <c>score_multi</c>). An empty output
/// or reference scores 0. Per-item means make the task score (<see cref="Aggregation.Mean"/>).
/// </summary>
/// <remarks>
/// The PyPI <c>rouge</c> package that CSL's and CLGE's scripts call (1.0.1, <c>exclusive=True</c> by default) counts
/// <em>distinct</em> n-grams and distinct tokens instead, and splits at '.': the two agree whenever no character repeats
/// within a text, and differ otherwise (see docs/generation-metrics.md for a worked example). We keep Lin's definition.
/// </remarks>
public static class Rouge
{
    public static readonly MetricInfo Rouge1Info = new("rouge_1", Aggregation.Mean, HigherIsBetter: true,
        "ROUGE-1 F-measure over characters, best reference, mean over items (an empty output scores 0)", Overlap: true);
    public static readonly MetricInfo Rouge2Info = new("rouge_2", Aggregation.Mean, HigherIsBetter: true,
        "ROUGE-2 F-measure over characters, best reference, mean over items (an empty output scores 0)", Overlap: true);
    public static readonly MetricInfo RougeLInfo = new("rouge_l", Aggregation.Mean, HigherIsBetter: true,
        "ROUGE-L (longest common subsequence) F-measure over characters, best reference, mean over items (an empty output scores 0)", Overlap: true);

    public static RougeScores Score(string output, IReadOnlyList<string> references) =>
        Score(CharacterTokens.Of(output), references.Select(CharacterTokens.Of).ToList());

    public static RougeScores Score(int[] output, IReadOnlyList<int[]> references)
    {
        double r1 = 0, r2 = 0, rl = 0;
        foreach (var reference in references)
        {
            r1 = Math.Max(r1, RougeN(output, reference, 1));
            r2 = Math.Max(r2, RougeN(output, reference, 2));
            rl = Math.Max(rl, RougeL(output, reference));
        }
        return new RougeScores(100 * r1, 100 * r2, 100 * rl);
    }

    /// <summary>ROUGE-N F-measure in [0, 1].</summary>
    public static double RougeN(ReadOnlySpan<int> output, ReadOnlySpan<int> reference, int n)
    {
        var outputCount = output.Length - n + 1;
        var referenceCount = reference.Length - n + 1;
        if (outputCount <= 0 || referenceCount <= 0) return 0;
        var counts = new Dictionary<long, int>(referenceCount);
        for (var i = 0; i < referenceCount; i++)
        {
            var key = CharacterTokens.NgramKey(reference, i, n);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var matches = 0;
        for (var i = 0; i < outputCount; i++)
        {
            var key = CharacterTokens.NgramKey(output, i, n);
            if (counts.TryGetValue(key, out var left) && left > 0)
            {
                matches++;
                counts[key] = left - 1;
            }
        }
        return FMeasure(matches, outputCount, referenceCount);
    }

    /// <summary>ROUGE-L F-measure in [0, 1].</summary>
    public static double RougeL(ReadOnlySpan<int> output, ReadOnlySpan<int> reference) =>
        output.Length == 0 || reference.Length == 0 ? 0 : FMeasure(LcsLength(output, reference), output.Length, reference.Length);

    /// <summary>Length of the longest common subsequence: the textbook dynamic programme, one row at a time.</summary>
    public static int LcsLength(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length < b.Length) { var t = a; a = b; b = t; }
        Span<int> row = b.Length < 512 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        row.Clear();
        for (var i = 0; i < a.Length; i++)
        {
            var diagonal = 0;
            var x = a[i];
            for (var j = 0; j < b.Length; j++)
            {
                var above = row[j + 1];
                row[j + 1] = x == b[j] ? diagonal + 1 : Math.Max(above, row[j]);
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    private static double FMeasure(int matches, int outputCount, int referenceCount)
    {
        if (matches == 0) return 0;
        var precision = (double)matches / outputCount;
        var recall = (double)matches / referenceCount;
        return 2 * precision * recall / (precision + recall);
    }
}
