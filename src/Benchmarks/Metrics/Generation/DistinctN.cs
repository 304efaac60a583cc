using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Metrics.Generation;

/// <summary>
/// distinct-n (Li et al. 2016; KdConv's <c>calc_distinct_k</c>): the number of distinct n-grams over all outputs of a
/// task divided by the number of n-grams they contain, 0–100, over character tokens (<see cref="CharacterTokens"/>).
/// A corpus metric: it is not a mean of per-item values. No output at all gives 0.
/// </summary>
/// <remarks>
/// KdConv's loop <c>range(0, len(sen) - k)</c> leaves out each response's last n-gram, and its tokens are jieba words;
/// we count every n-gram and use characters (docs/generation-metrics.md). For the bootstrap, an item's n-grams are
/// interned once into integer ids: a resample's distinct count is then the size of the union of the drawn items' id
/// sets (an item drawn twice adds nothing new) and its total the sum of the drawn items' totals.
/// </remarks>
public static class DistinctN
{
    public const int MaxOrder = 4;

    public static string NameOf(int n) => $"distinct_{n}";

    public static MetricInfo InfoOf(int n) => new(NameOf(n), Aggregation.Corpus, HigherIsBetter: true,
        $"distinct {n}-grams over all outputs divided by all {n}-grams (characters), a corpus figure", Overlap: true);

    public static bool TryParse(string name, out int n)
    {
        n = 0;
        return name.StartsWith("distinct_", StringComparison.Ordinal) && int.TryParse(name.AsSpan(9), out n) && n is >= 1 and <= MaxOrder;
    }

    public static double Compute(IEnumerable<string> outputs, int n) => Index.Build(outputs, n).Score(null);

    public static BootstrapInterval Interval(IReadOnlyList<string> outputs, int n, int rounds = 1000, long seed = 0, double confidence = 0.95)
    {
        var values = Replicates(outputs, n, rounds, seed);
        Array.Sort(values);
        var (low, high) = BootstrapMeans.PercentileInterval(values, confidence);
        return new BootstrapInterval(outputs.Count, Compute(outputs, n), low, high, confidence, rounds, seed);
    }

    /// <summary>The resampled distinct-n of each round, in round order (what <see cref="Interval"/> sorts).</summary>
    public static double[] Replicates(IReadOnlyList<string> outputs, int n, int rounds, long seed)
    {
        if (outputs.Count == 0) throw new ArgumentException("needs at least one item", nameof(outputs));
        var index = Index.Build(outputs, n);
        var values = new double[rounds];
        Parallel.For(0, rounds, () => new int[index.Vocabulary], (r, _, stamps) =>
        {
            var rng = SeededRandom.ForStream(seed, r);
            var drawn = new int[outputs.Count];
            for (var i = 0; i < drawn.Length; i++) drawn[i] = rng.NextInt(outputs.Count);
            values[r] = index.Score(drawn, stamps, r + 1);
            return stamps;
        }, _ => { });
        return values;
    }

    private sealed class Index(int[][] distinctIds, int[] totals, int vocabulary)
    {
        public int Vocabulary => vocabulary;

        public static Index Build(IEnumerable<string> outputs, int n)
        {
            if (n is < 1 or > MaxOrder) throw new ArgumentOutOfRangeException(nameof(n));
            var ids = new Dictionary<(long, int), int>();
            var distinct = new List<int[]>();
            var totals = new List<int>();
            foreach (var output in outputs)
            {
                var tokens = CharacterTokens.Of(output);
                var count = Math.Max(tokens.Length - n + 1, 0);
                var mine = new HashSet<int>();
                for (var i = 0; i < count; i++)
                {
                    // Up to three code points pack into a long; the fourth rides in the tuple's second half.
                    var key = (CharacterTokens.NgramKey(tokens, i, Math.Min(n, 3)), n > 3 ? tokens[i + 3] : -1);
                    if (!ids.TryGetValue(key, out var id)) ids[key] = id = ids.Count;
                    mine.Add(id);
                }
                distinct.Add(mine.ToArray());
                totals.Add(count);
            }
            return new Index(distinct.ToArray(), totals.ToArray(), ids.Count);
        }

        /// <summary>The figure for the items drawn (null: every item once); <paramref name="stamps"/> marks ids already counted in round <paramref name="round"/>.</summary>
        public double Score(int[]? drawn, int[]? stamps = null, int round = 0)
        {
            long total = 0;
            if (drawn is null)
            {
                foreach (var t in totals) total += t;
                return total == 0 ? 0 : 100.0 * vocabulary / total;
            }
            var distinct = 0;
            foreach (var item in drawn)
            {
                total += totals[item];
                foreach (var id in distinctIds[item])
                    if (stamps![id] != round) { stamps[id] = round; distinct++; }
            }
            return total == 0 ? 0 : 100.0 * distinct / total;
        }
    }
}
