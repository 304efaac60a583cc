using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Ratings;

/// <summary>A candidate pair of models (indices into the caller's arrays) and its probability of being drawn next.</summary>
public readonly record struct PairChance(int A, int B, double Probability);

/// <summary>
/// Chooses the next arena pair: mostly pairs whose order is least certain and models with few votes, never only those.
/// In the spirit of Chatbot Arena's sampling (FastChat <c>gradio_block_arena_anony.py</c> weights new and
/// under-sampled models up; Chiang et al. 2024, "Chatbot Arena", §5 samples pairs to shrink the rating intervals
/// fastest), with a simpler, explicit rule:
/// <list type="bullet">
/// <item>order uncertainty of i vs j: with rating half-widths (h, 95%), σ = √(h_i² + h_j²) / 1.96 and
/// u = 2Φ(−|R_i − R_j| / σ) (1 when the order is a coin toss, → 0 when settled); without them, u = 4 p (1 − p) for the
/// expected win probability p;</item>
/// <item>vote need: v = (1/√(1 + votes_i) + 1/√(1 + votes_j)) / 2;</item>
/// <item>probability ∝ u · v, mixed with the uniform distribution at share <c>uniformShare</c> (default 0.1), so every
/// pair keeps a chance and the comparison graph stays connected, which the Bradley–Terry fit needs.</item>
/// </list>
/// Pure: the caller supplies the uniform number that picks the pair.
/// </summary>
public static class PairSelector
{
    public static PairChance[] Chances(
        ReadOnlySpan<double> ratings,
        ReadOnlySpan<int> votes,
        ReadOnlySpan<double> halfWidths = default,
        double uniformShare = 0.1,
        double scale = 400,
        double @base = 10)
    {
        var m = ratings.Length;
        if (m < 2) throw new ArgumentException("Needs at least two models.", nameof(ratings));
        if (votes.Length != m) throw new ArgumentException("One vote count per model.", nameof(votes));
        if (!halfWidths.IsEmpty && halfWidths.Length != m) throw new ArgumentException("One half-width per model.", nameof(halfWidths));
        if (uniformShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(uniformShare));

        var chances = new PairChance[m * (m - 1) / 2];
        var total = 0.0;
        var k = 0;
        for (var i = 0; i < m; i++)
            for (var j = i + 1; j < m; j++)
            {
                double uncertainty;
                if (halfWidths.IsEmpty)
                {
                    var p = PairwiseMatrices.ExpectedWinProbability(ratings[i], ratings[j], scale, @base);
                    uncertainty = 4 * p * (1 - p);
                }
                else
                {
                    var sigma = Math.Sqrt(halfWidths[i] * halfWidths[i] + halfWidths[j] * halfWidths[j]) / 1.959963984540054;
                    var gap = Math.Abs(ratings[i] - ratings[j]);
                    uncertainty = sigma > 0 ? 2 * SpecialFunctions.NormalCdf(-gap / sigma) : gap == 0 ? 1 : 0;
                }
                var need = (1 / Math.Sqrt(1 + votes[i]) + 1 / Math.Sqrt(1 + votes[j])) / 2;
                var weight = uncertainty * need;
                chances[k++] = new PairChance(i, j, weight);
                total += weight;
            }

        var uniform = 1.0 / chances.Length;
        for (var n = 0; n < chances.Length; n++)
        {
            var informed = total > 0 ? chances[n].Probability / total : uniform;
            var share = total > 0 ? uniformShare : 1;
            chances[n] = chances[n] with { Probability = share * uniform + (1 - share) * informed };
        }
        return chances;
    }

    /// <summary>The pair that a uniform number <paramref name="u"/> in [0, 1) picks from <paramref name="chances"/>.</summary>
    public static PairChance Choose(ReadOnlySpan<PairChance> chances, double u)
    {
        if (chances.IsEmpty) throw new ArgumentException("No pairs to choose from.", nameof(chances));
        if (u is < 0 or >= 1 || double.IsNaN(u)) throw new ArgumentOutOfRangeException(nameof(u));
        var cumulative = 0.0;
        foreach (var chance in chances)
        {
            cumulative += chance.Probability;
            if (u < cumulative) return chance;
        }
        return chances[^1]; // rounding left u above the last cumulative sum
    }
}
