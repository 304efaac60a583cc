namespace Evals.Runner.Backends.Onnx;

/// <param name="Temperature">0 means greedy.</param>
/// <param name="TopK">0 means no top-k cut.</param>
public sealed record SamplingOptions(double Temperature = 0, double TopP = 1, int TopK = 0, int? Seed = null)
{
    public bool Greedy => Temperature <= 0;
}

/// <summary>
/// Picks the next token from one row of logits. Only the first <c>limit</c> logits are candidates: checkpoints pad the
/// embedding past the tokenizer (Qwen2.5: 151936 rows, ~151665 tokens) and those rows must never be sampled.
/// Scratch buffers are reused so that a step allocates nothing.
/// </summary>
internal sealed class Sampler(SamplingOptions options, int limit)
{
    private readonly Random _random = options.Seed is { } seed ? new Random(seed) : new Random();
    private float[] _probs = [];
    private int[] _order = [];

    public static int Argmax(ReadOnlySpan<float> logits, int limit)
    {
        var n = Math.Min(limit, logits.Length);
        var best = 0;
        var max = float.NegativeInfinity;
        for (var i = 0; i < n; i++)
        {
            if (logits[i] > max)
            {
                max = logits[i];
                best = i;
            }
        }
        return best;
    }

    public int Next(ReadOnlySpan<float> logits)
    {
        if (options.Greedy) return Argmax(logits, limit);
        var n = Math.Min(limit, logits.Length);
        if (_probs.Length < n)
        {
            _probs = new float[n];
            _order = new int[n];
        }
        var max = float.NegativeInfinity;
        for (var i = 0; i < n; i++) max = Math.Max(max, logits[i]);
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            var p = (float)Math.Exp((logits[i] - max) / options.Temperature);
            _probs[i] = p;
            _order[i] = i;
            sum += p;
        }
        var candidates = n;
        if (options.TopK > 0 || options.TopP < 1)
        {
            // Sort by probability, descending; ties by id so that a seed always gives the same token.
            Array.Sort(_order, 0, n, Comparer<int>.Create((a, b) => _probs[b] != _probs[a] ? _probs[b].CompareTo(_probs[a]) : a.CompareTo(b)));
            if (options.TopK > 0) candidates = Math.Min(candidates, options.TopK);
            if (options.TopP < 1)
            {
                double cumulative = 0;
                for (var i = 0; i < candidates; i++)
                {
                    cumulative += _probs[_order[i]] / sum;
                    if (cumulative >= options.TopP)
                    {
                        candidates = i + 1;
                        break;
                    }
                }
            }
            sum = 0;
            for (var i = 0; i < candidates; i++) sum += _probs[_order[i]];
        }
        var r = _random.NextDouble() * sum;
        for (var i = 0; i < candidates; i++)
        {
            var id = _order[i];
            r -= _probs[id];
            if (r <= 0) return id;
        }
        return _order[candidates - 1];
    }
}
