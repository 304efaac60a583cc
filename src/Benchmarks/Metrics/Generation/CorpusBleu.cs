using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Metrics.Generation;

/// <summary>
/// One segment's BLEU sufficient statistics, as sacreBLEU keeps them (<c>[hyp_len, ref_len] + correct + total</c>):
/// corpus BLEU is a function of their sums, so a bootstrap resamples these instead of re-tokenising.
/// </summary>
public readonly record struct BleuStatistics(int HypLength, int RefLength,
    int Correct1, int Correct2, int Correct3, int Correct4, int Total1, int Total2, int Total3, int Total4)
{
    public int Correct(int n) => n switch { 1 => Correct1, 2 => Correct2, 3 => Correct3, 4 => Correct4, _ => throw new ArgumentOutOfRangeException(nameof(n)) };

    public int Total(int n) => n switch { 1 => Total1, 2 => Total2, 3 => Total3, 4 => Total4, _ => throw new ArgumentOutOfRangeException(nameof(n)) };

    public static BleuStatistics operator +(BleuStatistics a, BleuStatistics b) => new(a.HypLength + b.HypLength, a.RefLength + b.RefLength,
        a.Correct1 + b.Correct1, a.Correct2 + b.Correct2, a.Correct3 + b.Correct3, a.Correct4 + b.Correct4,
        a.Total1 + b.Total1, a.Total2 + b.Total2, a.Total3 + b.Total3, a.Total4 + b.Total4);

    /// <summary>The names under which an item's statistics are stored in its result's details.</summary>
    public static readonly string[] Keys =
        ["bleu_hyp_len", "bleu_ref_len", "bleu_correct_1", "bleu_correct_2", "bleu_correct_3", "bleu_correct_4",
         "bleu_total_1", "bleu_total_2", "bleu_total_3", "bleu_total_4"];

    public IEnumerable<KeyValuePair<string, double>> ToNumbers()
    {
        int[] values = [HypLength, RefLength, Correct1, Correct2, Correct3, Correct4, Total1, Total2, Total3, Total4];
        return Keys.Select((k, i) => new KeyValuePair<string, double>(k, values[i]));
    }

    /// <summary>The statistics stored by <see cref="ToNumbers"/>, or null when any is missing.</summary>
    public static BleuStatistics? FromNumbers(IReadOnlyDictionary<string, double> numbers)
    {
        var values = new int[Keys.Length];
        for (var i = 0; i < Keys.Length; i++)
        {
            if (!numbers.TryGetValue(Keys[i], out var v)) return null;
            values[i] = (int)v;
        }
        return new BleuStatistics(values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7], values[8], values[9]);
    }
}

/// <summary>A corpus BLEU score with the parts sacreBLEU prints beside it.</summary>
public sealed record BleuScore(double Score, double[] Precisions, double BrevityPenalty, int HypLength, int RefLength, string Signature);

/// <summary>
/// Corpus BLEU as sacreBLEU 2.x defines it (<c>metrics/bleu.py</c>, read and re-written, not copied): BLEU-4 with
/// uniform weights; per segment, n-gram matches are clipped by the largest count of that n-gram in any one reference,
/// and the reference length is the closest to the hypothesis length (the shorter on a tie); the brevity penalty
/// exp(1 − r/c) applies to the corpus sums; default smoothing <c>exp</c> (NIST: the k-th order with no match gets
/// precision 1/(2^k·total)); no effective order; a corpus with no match at all scores 0. Tokens come from
/// <see cref="SacreBleuZhTokenizer"/>; case is kept. Aggregation: <see cref="Aggregation.Corpus"/>, from summed
/// <see cref="BleuStatistics"/>.
/// </summary>
public static class CorpusBleu
{
    public const string Name = "bleu";
    public const int MaxOrder = 4;

    /// <summary>Our implementation's version in the signature, so a score is never mistaken for one printed by sacreBLEU itself.</summary>
    public const string Version = "evals-1";

    public static readonly MetricInfo Info = new(Name, Aggregation.Corpus, HigherIsBetter: true,
        "corpus BLEU-4 as sacreBLEU computes it (tokenizer zh, exp smoothing, closest reference length), from summed per-item statistics", Overlap: true);

    /// <summary>sacreBLEU's signature for our settings, e.g. <c>nrefs:2|case:mixed|eff:no|tok:zh|smooth:exp|version:evals-1</c>; <c>nrefs:var</c> when items differ.</summary>
    public static string Signature(string nrefs) => $"nrefs:{nrefs}|case:mixed|eff:no|tok:{SacreBleuZhTokenizer.Signature}|smooth:exp|version:{Version}";

    public static BleuStatistics Statistics(string hypothesis, IReadOnlyList<string> references) =>
        Statistics(SacreBleuZhTokenizer.Tokenize(hypothesis.TrimEnd()), references.Select(r => SacreBleuZhTokenizer.Tokenize(r.TrimEnd())).ToList());

    public static BleuStatistics Statistics(string[] hypothesis, IReadOnlyList<string[]> references)
    {
        // Tokens become small integers for this segment, so an n-gram is one (long, int) key instead of four strings.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int[] Ids(string[] tokens) => tokens.Select(t => ids.TryGetValue(t, out var id) ? id : ids[t] = ids.Count + 1).ToArray();
        var maxReferenceCounts = new Dictionary<(long, int), int>();
        var referenceLengths = new List<int>(references.Count);
        foreach (var reference in references)
        {
            referenceLengths.Add(reference.Length);
            foreach (var (ngram, count) in Count(Ids(reference)))
                if (count > maxReferenceCounts.GetValueOrDefault(ngram)) maxReferenceCounts[ngram] = count;
        }
        var correct = new int[MaxOrder];
        var total = new int[MaxOrder];
        foreach (var (ngram, count) in Count(Ids(hypothesis)))
        {
            var order = Order(ngram);
            total[order - 1] += count;
            correct[order - 1] += Math.Min(count, maxReferenceCounts.GetValueOrDefault(ngram));
        }
        return new BleuStatistics(hypothesis.Length, ClosestLength(hypothesis.Length, referenceLengths),
            correct[0], correct[1], correct[2], correct[3], total[0], total[1], total[2], total[3]);
    }

    public static BleuScore Score(BleuStatistics sums, string nrefs = "1")
    {
        var (sys, reference) = (sums.HypLength, sums.RefLength);
        var brevity = sys < reference ? (sys > 0 ? Math.Exp(1 - (double)reference / sys) : 0) : 1;
        var precisions = new double[MaxOrder];
        var anyCorrect = sums.Correct1 + sums.Correct2 + sums.Correct3 + sums.Correct4 > 0;
        if (!anyCorrect) return new BleuScore(0, precisions, brevity, sys, reference, Signature(nrefs));
        var smooth = 1.0;
        for (var n = 1; n <= MaxOrder; n++)
        {
            var (c, t) = (sums.Correct(n), sums.Total(n));
            if (t == 0) break;
            if (c == 0)
            {
                smooth *= 2;
                precisions[n - 1] = 100.0 / (smooth * t);
            }
            else precisions[n - 1] = 100.0 * c / t;
        }
        // sacreBLEU's my_log: log(0) is taken as -9999999999, so a missing order makes the score 0 rather than an error.
        var logSum = precisions.Sum(p => p == 0 ? -9999999999.0 : Math.Log(p));
        return new BleuScore(brevity * Math.Exp(logSum / MaxOrder), precisions, brevity, sys, reference, Signature(nrefs));
    }

    public static BleuScore Score(IEnumerable<BleuStatistics> items, string nrefs = "1") => Score(Sum(items), nrefs);

    public static BleuStatistics Sum(IEnumerable<BleuStatistics> items)
    {
        var sum = default(BleuStatistics);
        foreach (var item in items) sum += item;
        return sum;
    }

    /// <summary>
    /// Percentile bootstrap of corpus BLEU: each round draws n items with replacement (round r from its own stream of
    /// (seed, r), as <see cref="BootstrapStatisticInterval"/> does), sums their statistics and recomputes BLEU, so no
    /// round tokenises anything. Deterministic for a seed on any number of threads.
    /// </summary>
    public static BootstrapInterval Interval(IReadOnlyList<BleuStatistics> items, int rounds = 1000, long seed = 0, double confidence = 0.95)
    {
        var values = Replicates(items, rounds, seed);
        Array.Sort(values);
        var (low, high) = BootstrapMeans.PercentileInterval(values, confidence);
        return new BootstrapInterval(items.Count, Score(items).Score, low, high, confidence, rounds, seed);
    }

    /// <summary>The resampled corpus BLEU of each round, in round order (what <see cref="Interval"/> sorts).</summary>
    public static double[] Replicates(IReadOnlyList<BleuStatistics> items, int rounds, long seed)
    {
        var n = items.Count;
        if (n == 0) throw new ArgumentException("needs at least one item", nameof(items));
        var array = items.ToArray();
        var values = new double[rounds];
        Parallel.For(0, rounds, r =>
        {
            var rng = SeededRandom.ForStream(seed, r);
            var sum = default(BleuStatistics);
            for (var i = 0; i < n; i++) sum += array[rng.NextInt(n)];
            values[r] = Score(sum).Score;
        });
        return values;
    }

    private static int ClosestLength(int hypothesisLength, List<int> referenceLengths)
    {
        int closestDiff = -1, closest = -1;
        foreach (var length in referenceLengths)
        {
            var diff = Math.Abs(hypothesisLength - length);
            if (closestDiff == -1 || diff < closestDiff) (closestDiff, closest) = (diff, length);
            else if (diff == closestDiff && length < closest) closest = length;
        }
        return Math.Max(closest, 0);
    }

    private static Dictionary<(long, int), int> Count(int[] tokens)
    {
        var counts = new Dictionary<(long, int), int>(tokens.Length * MaxOrder);
        for (var n = 1; n <= MaxOrder; n++)
            for (var i = 0; i + n <= tokens.Length; i++)
            {
                // Ids start at 1 and stay below 2^21, so 0 marks an absent position and the key says its own order.
                long head = 0;
                for (var k = 0; k < Math.Min(n, 3); k++) head = (head << 21) | (uint)tokens[i + k];
                var key = (head, n > 3 ? tokens[i + 3] : 0);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        return counts;
    }

    private static int Order((long Head, int Fourth) key)
    {
        if (key.Fourth != 0) return 4;
        return key.Head >= 1L << 42 ? 3 : key.Head >= 1L << 21 ? 2 : 1;
    }
}
