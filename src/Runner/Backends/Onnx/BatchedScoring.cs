using System.Diagnostics;

namespace Evals.Runner.Backends.Onnx;

/// <param name="Context">Token ids the continuations follow (at least one).</param>
internal sealed record ScoreRequest(int[] Context, int[][] Continuations);

/// <summary>
/// Log-likelihood scoring of many items at once. Requests are ordered so that contexts with the same opening (one task's
/// instruction and few-shot examples) sit together, shortest first within them, then packed into batches within the
/// budget. A batch's longest common prefix runs once and its cache is repeated under every row; the rest of each context
/// runs right-padded (padding after the real tokens is never seen by them under causal attention), and each context's
/// cache then serves its continuations, the padded columns masked out and positions counted from the real length.
/// Host memory only (the cache rows are copied on the host).
/// </summary>
internal static class BatchedScoring
{
    /// <summary>A shorter shared prefix is not worth a separate pass.</summary>
    private const int MinSharedPrefix = 16;

    /// <summary>How many opening tokens group requests together before their lengths order them.</summary>
    private const int GroupingTokens = 32;

    public static ContinuationScore[][] Score(CausalLM model, IReadOnlyList<ScoreRequest> requests, BatchBudget budget, BatchStats stats,
        CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i].Context.Length == 0) throw new ArgumentException($"request {i}: the context needs at least one token");
            if (requests[i].Continuations.Any(c => c.Length == 0)) throw new ArgumentException($"request {i}: every continuation needs at least one token");
        }
        var watch = Stopwatch.StartNew();
        var results = new ContinuationScore[requests.Count][];
        var order = Enumerable.Range(0, requests.Count).ToList();
        order.Sort((a, b) =>
        {
            var (x, y) = (requests[a].Context, requests[b].Context);
            var opening = x.AsSpan(0, Math.Min(GroupingTokens, x.Length)).SequenceCompareTo(y.AsSpan(0, Math.Min(GroupingTokens, y.Length)));
            return opening != 0 ? opening : x.Length != y.Length ? x.Length.CompareTo(y.Length) : a.CompareTo(b);
        });
        var rowCap = budget.MaxRows;
        var next = 0;
        while (next < order.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var members = Pack(model.Layout, requests, order, next, budget with { MaxRows = rowCap });
            try
            {
                ScoreBatch(model, requests, members, budget with { MaxRows = rowCap }, results, stats);
                next += members.Length;
            }
            catch (Exception e) when (CausalLM.IsOutOfMemory(e) && members.Length > 1)
            {
                rowCap = Math.Max(1, members.Length / 2);
                stats.Halvings++;
            }
        }
        stats.EngineTime += watch.Elapsed;
        return results;
    }

    /// <summary>The next requests in order that fit together; always at least one.</summary>
    private static int[] Pack(DecoderLayout layout, IReadOnlyList<ScoreRequest> requests, List<int> order, int start, BatchBudget budget)
    {
        var members = new List<int> { order[start] };
        var maxLength = requests[order[start]].Context.Length;
        for (var k = start + 1; k < order.Count; k++)
        {
            var length = Math.Max(maxLength, requests[order[k]].Context.Length);
            if (!budget.Fits(layout, members.Count + 1, length, length)) break;
            members.Add(order[k]);
            maxLength = length;
        }
        return [.. members];
    }

    private static void ScoreBatch(CausalLM model, IReadOnlyList<ScoreRequest> requests, int[] members, BatchBudget budget, ContinuationScore[][] results, BatchStats stats)
    {
        var runtime = model.Runtime;
        var layout = model.Layout;
        var rows = members.Length;
        var contexts = members.Select(i => requests[i].Context).ToArray();
        var maxLength = contexts.Max(c => c.Length);
        var prefix = rows == 1 ? 0 : SharedPrefix(contexts);
        if (prefix < MinSharedPrefix) prefix = 0;

        KvCache contextCache;
        var sums = new double[rows][];
        var greedy = new bool[rows][];
        using (var empty = KvCache.Empty(runtime, layout, 1))
        {
            KvCache past;
            if (prefix > 0)
            {
                var (prefixLogits, prefixCache) = model.Forward(contexts[0][..prefix].Select(t => (long)t).ToArray(), Ones(prefix), Range(0, prefix), 1, prefix, empty);
                prefixLogits.Dispose();
                using (prefixCache) past = prefixCache.Repeat(runtime, layout, rows);
                stats.Tokens += prefix;
            }
            else
            {
                past = KvCache.Empty(runtime, layout, rows);
            }
            var suffix = maxLength - prefix;
            var ids = new long[rows * suffix];
            var mask = new long[rows * maxLength];
            var positions = new long[rows * suffix];
            for (var r = 0; r < rows; r++)
            {
                var context = contexts[r];
                for (var j = 0; j < maxLength; j++) mask[r * maxLength + j] = j < context.Length ? 1 : 0;
                for (var j = 0; j < suffix; j++)
                {
                    var at = prefix + j;
                    // Padding repeats the last real token and position, so it never asks for a position the row itself would not.
                    ids[r * suffix + j] = at < context.Length ? context[at] : context[^1];
                    positions[r * suffix + j] = Math.Min(at, context.Length - 1);
                }
                stats.Tokens += context.Length - prefix;
            }
            try
            {
                var (logits, present) = model.Forward(ids, mask, positions, rows, suffix, past);
                stats.Batch(rows);
                contextCache = present;
                using (logits)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        var continuations = requests[members[r]].Continuations;
                        sums[r] = new double[continuations.Length];
                        greedy[r] = new bool[continuations.Length];
                        var last = model.LogitsRow(logits, r * suffix + contexts[r].Length - prefix - 1);
                        for (var k = 0; k < continuations.Length; k++) (sums[r][k], greedy[r][k]) = CausalLM.LogProb(last, continuations[k][0]);
                    }
                }
            }
            finally
            {
                past.Dispose();
            }
        }
        using (contextCache)
        {
            // Continuations longer than one token run over their context's cache row, longest first, as many as fit.
            var pending = new List<(int Row, int Index)>();
            for (var r = 0; r < rows; r++)
            {
                var continuations = requests[members[r]].Continuations;
                for (var k = 0; k < continuations.Length; k++) if (continuations[k].Length > 1) pending.Add((r, k));
            }
            pending.Sort((a, b) => requests[members[b.Row]].Continuations[b.Index].Length.CompareTo(requests[members[a.Row]].Continuations[a.Index].Length));
            var start = 0;
            while (start < pending.Count)
            {
                var first = requests[members[pending[start].Row]].Continuations[pending[start].Index].Length - 1;
                var count = 1;
                while (start + count < pending.Count && budget.Fits(layout, count + 1, maxLength + first, first)) count++;
                var group = pending.GetRange(start, count);
                ScoreContinuations(model, requests, members, contexts, contextCache, maxLength, group, sums, greedy, stats);
                start += count;
            }
        }
        for (var r = 0; r < rows; r++)
        {
            var continuations = requests[members[r]].Continuations;
            results[members[r]] = continuations.Select((c, k) => new ContinuationScore(sums[r][k], greedy[r][k], c.Length)).ToArray();
        }
    }

    private static void ScoreContinuations(CausalLM model, IReadOnlyList<ScoreRequest> requests, int[] members, int[][] contexts, KvCache contextCache, int maxLength,
        List<(int Row, int Index)> group, double[][] sums, bool[][] greedy, BatchStats stats)
    {
        var b = group.Count;
        var l = group.Max(g => requests[members[g.Row]].Continuations[g.Index].Length) - 1;
        var total = maxLength + l;
        var ids = new long[b * l];
        var mask = new long[b * total];
        var positions = new long[b * l];
        for (var r = 0; r < b; r++)
        {
            var (row, index) = group[r];
            var context = contexts[row];
            var continuation = requests[members[row]].Continuations[index];
            for (var j = 0; j < context.Length; j++) mask[r * total + j] = 1;
            for (var j = 0; j < l; j++)
            {
                var real = j < continuation.Length - 1;
                ids[r * l + j] = real ? continuation[j] : continuation[0];
                mask[r * total + maxLength + j] = real ? 1 : 0;
                positions[r * l + j] = context.Length + Math.Min(j, continuation.Length - 2);
            }
            stats.Tokens += continuation.Length - 1;
        }
        using var past = KvCache.Assemble(model.Runtime, model.Layout, group.Select(g => new KvRowSource(contextCache, g.Row, 0, maxLength)).ToList(), maxLength);
        var (logits, present) = model.Forward(ids, mask, positions, b, l, past);
        stats.Batch(b);
        present.Dispose();
        using (logits)
        {
            for (var r = 0; r < b; r++)
            {
                var (row, index) = group[r];
                var continuation = requests[members[row]].Continuations[index];
                for (var j = 0; j < continuation.Length - 1; j++)
                {
                    var (lp, top) = CausalLM.LogProb(model.LogitsRow(logits, r * l + j), continuation[j + 1]);
                    sums[row][index] += lp;
                    greedy[row][index] &= top;
                }
            }
        }
    }

    /// <summary>The longest prefix every context shares, leaving each at least one token of its own (its last logits come from the second pass).</summary>
    private static int SharedPrefix(int[][] contexts)
    {
        var limit = contexts.Min(c => c.Length) - 1;
        var first = contexts[0];
        var length = 0;
        while (length < limit && contexts.All(c => c[length] == first[length])) length++;
        return length;
    }

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();

    private static long[] Range(int from, int count) => Enumerable.Range(from, count).Select(i => (long)i).ToArray();
}
