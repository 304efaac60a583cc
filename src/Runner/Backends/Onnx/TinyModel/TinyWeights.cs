namespace Evals.Runner.Backends.Onnx.TinyModel;

/// <summary>
/// Shape of the tiny test transformer: a Qwen2/Llama-style decoder (RMSNorm, rotary positions, grouped-query attention,
/// SwiGLU) small enough to build in milliseconds. <see cref="Float16Io"/> makes the KV cache and logits float16, as fp16
/// exports have them, while the arithmetic stays float32.
/// </summary>
public sealed record TinyModelConfig(
    int VocabSize = 384,
    int Hidden = 64,
    int Layers = 2,
    int Heads = 4,
    int KvHeads = 2,
    int Intermediate = 128,
    int MaxPositions = 512,
    double RopeTheta = 10000,
    float RmsEps = 1e-6f,
    bool Float16Io = false)
{
    public int HeadDim => Hidden / Heads;
}

/// <summary>Seeded weights of the tiny model. Matrices are [in, out], row-major, so y = x·W.</summary>
internal sealed class TinyWeights
{
    public required TinyModelConfig Config { get; init; }
    public required float[] Embed { get; init; }
    public required TinyLayer[] Layers { get; init; }
    public required float[] FinalNorm { get; init; }
    public required float[] LmHead { get; init; }
    /// <summary>[MaxPositions, HeadDim/2] rotary tables, stored in the model so ONNX Runtime and the reference use the same floats.</summary>
    public required float[] Cos { get; init; }
    public required float[] Sin { get; init; }

    public static TinyWeights Create(TinyModelConfig c, ulong seed)
    {
        var rng = new SplitMix64(seed);
        float[] Matrix(int rows, int cols, double scale)
        {
            var m = new float[rows * cols];
            for (var i = 0; i < m.Length; i++) m[i] = (float)(rng.NextSigned() * scale);
            return m;
        }
        float[] Norm(int n)
        {
            var w = new float[n];
            for (var i = 0; i < n; i++) w[i] = (float)(1 + 0.1 * rng.NextSigned());
            return w;
        }
        var embed = Matrix(c.VocabSize, c.Hidden, 1.0);
        var layers = new TinyLayer[c.Layers];
        for (var l = 0; l < c.Layers; l++)
        {
            var s = 1.5 / Math.Sqrt(c.Hidden);
            layers[l] = new TinyLayer(
                InputNorm: Norm(c.Hidden),
                Q: Matrix(c.Hidden, c.Heads * c.HeadDim, s),
                K: Matrix(c.Hidden, c.KvHeads * c.HeadDim, s),
                V: Matrix(c.Hidden, c.KvHeads * c.HeadDim, s),
                O: Matrix(c.Heads * c.HeadDim, c.Hidden, 1.0 / Math.Sqrt(c.Hidden)),
                PostNorm: Norm(c.Hidden),
                Gate: Matrix(c.Hidden, c.Intermediate, s),
                Up: Matrix(c.Hidden, c.Intermediate, s),
                Down: Matrix(c.Intermediate, c.Hidden, 1.0 / Math.Sqrt(c.Intermediate)));
        }
        var finalNorm = Norm(c.Hidden);
        // Large output weights make the logits peaked, so greedy choices are far from ties and rounding cannot flip them.
        var lmHead = Matrix(c.Hidden, c.VocabSize, 8.0 / Math.Sqrt(c.Hidden));
        var half = c.HeadDim / 2;
        var cos = new float[c.MaxPositions * half];
        var sin = new float[c.MaxPositions * half];
        for (var p = 0; p < c.MaxPositions; p++)
        {
            for (var j = 0; j < half; j++)
            {
                var angle = p * Math.Pow(c.RopeTheta, -2.0 * j / c.HeadDim);
                cos[p * half + j] = (float)Math.Cos(angle);
                sin[p * half + j] = (float)Math.Sin(angle);
            }
        }
        return new TinyWeights { Config = c, Embed = embed, Layers = layers, FinalNorm = finalNorm, LmHead = lmHead, Cos = cos, Sin = sin };
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): fixed here so weights never change with the .NET version.</summary>
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public double NextSigned()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53)) * 2 - 1;
        }
    }
}

internal sealed record TinyLayer(float[] InputNorm, float[] Q, float[] K, float[] V, float[] O, float[] PostNorm, float[] Gate, float[] Up, float[] Down);

/// <summary>
/// A plain C# forward pass over the same weights, without a cache: the oracle that ONNX Runtime's outputs are checked against.
/// Sums in double so that it is the more exact of the two.
/// </summary>
internal static class TinyReference
{
    /// <summary>Logits [T, V] for one unpadded sequence at positions 0..T-1.</summary>
    public static float[] Forward(TinyWeights w, IReadOnlyList<int> ids)
    {
        var c = w.Config;
        int t = ids.Count, d = c.Hidden, hd = c.HeadDim, groups = c.Heads / c.KvHeads;
        var x = new float[t * d];
        for (var i = 0; i < t; i++) Array.Copy(w.Embed, ids[i] * d, x, i * d, d);
        foreach (var layer in w.Layers)
        {
            var h = RmsNorm(x, t, d, layer.InputNorm, c.RmsEps);
            var q = MatMul(h, t, d, layer.Q, c.Heads * hd);
            var k = MatMul(h, t, d, layer.K, c.KvHeads * hd);
            var v = MatMul(h, t, d, layer.V, c.KvHeads * hd);
            Rope(w, q, t, c.Heads, hd);
            Rope(w, k, t, c.KvHeads, hd);
            var attn = new float[t * c.Heads * hd];
            var scores = new double[t];
            for (var head = 0; head < c.Heads; head++)
            {
                var kv = head / groups;
                for (var i = 0; i < t; i++)
                {
                    var max = double.NegativeInfinity;
                    for (var j = 0; j <= i; j++)
                    {
                        double s = 0;
                        for (var e = 0; e < hd; e++) s += (double)q[(i * c.Heads + head) * hd + e] * k[(j * c.KvHeads + kv) * hd + e];
                        scores[j] = s / Math.Sqrt(hd);
                        max = Math.Max(max, scores[j]);
                    }
                    double sum = 0;
                    for (var j = 0; j <= i; j++) sum += scores[j] = Math.Exp(scores[j] - max);
                    for (var e = 0; e < hd; e++)
                    {
                        double acc = 0;
                        for (var j = 0; j <= i; j++) acc += scores[j] / sum * v[(j * c.KvHeads + kv) * hd + e];
                        attn[(i * c.Heads + head) * hd + e] = (float)acc;
                    }
                }
            }
            Add(x, MatMul(attn, t, c.Heads * hd, layer.O, d));
            var h2 = RmsNorm(x, t, d, layer.PostNorm, c.RmsEps);
            var gate = MatMul(h2, t, d, layer.Gate, c.Intermediate);
            var up = MatMul(h2, t, d, layer.Up, c.Intermediate);
            for (var i = 0; i < gate.Length; i++) gate[i] = (float)(gate[i] / (1 + Math.Exp(-gate[i])) * up[i]);
            Add(x, MatMul(gate, t, c.Intermediate, layer.Down, d));
        }
        return MatMul(RmsNorm(x, t, d, w.FinalNorm, c.RmsEps), t, d, w.LmHead, c.VocabSize);
    }

    private static void Rope(TinyWeights w, float[] m, int t, int heads, int hd)
    {
        var half = hd / 2;
        for (var i = 0; i < t; i++)
        {
            for (var head = 0; head < heads; head++)
            {
                var o = (i * heads + head) * hd;
                for (var j = 0; j < half; j++)
                {
                    double cos = w.Cos[i * half + j], sin = w.Sin[i * half + j], x1 = m[o + j], x2 = m[o + half + j];
                    m[o + j] = (float)(x1 * cos - x2 * sin);
                    m[o + half + j] = (float)(x2 * cos + x1 * sin);
                }
            }
        }
    }

    private static float[] RmsNorm(float[] x, int t, int d, float[] weight, float eps)
    {
        var y = new float[x.Length];
        for (var i = 0; i < t; i++)
        {
            double ms = 0;
            for (var e = 0; e < d; e++) ms += (double)x[i * d + e] * x[i * d + e];
            var scale = 1 / Math.Sqrt(ms / d + eps);
            for (var e = 0; e < d; e++) y[i * d + e] = (float)(x[i * d + e] * scale * weight[e]);
        }
        return y;
    }

    private static float[] MatMul(float[] x, int rows, int inner, float[] w, int cols)
    {
        var y = new float[rows * cols];
        var acc = new double[cols];
        for (var r = 0; r < rows; r++)
        {
            Array.Clear(acc);
            for (var k = 0; k < inner; k++)
            {
                double xv = x[r * inner + k];
                for (var col = 0; col < cols; col++) acc[col] += xv * w[k * cols + col];
            }
            for (var col = 0; col < cols; col++) y[r * cols + col] = (float)acc[col];
        }
        return y;
    }

    private static void Add(float[] x, float[] y)
    {
        for (var i = 0; i < x.Length; i++) x[i] += y[i];
    }
}
