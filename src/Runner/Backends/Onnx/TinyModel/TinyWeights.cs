namespace Evals.Runner.Backends.Onnx.TinyModel;

/// <summary>
/// Shape of the tiny test transformer: a Qwen2/Llama-style decoder (RMSNorm, rotary positions, grouped-query attention,
/// SwiGLU) small enough to build in milliseconds. <see cref="Float16Io"/> makes the KV cache and logits float16, as fp16
/// exports have them; <see cref="Weights"/> picks how the weights are stored (and so the arithmetic: fp16 weights compute
/// in fp16, with RMSNorm and softmax in float32 as the Hugging Face modelling code does before export);
/// <see cref="MergedDecoder"/> adds optimum's <c>use_cache_branch</c> input and <c>If</c>.
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
    bool Float16Io = false,
    TinyWeightType Weights = TinyWeightType.Float32,
    bool MergedDecoder = false)
{
    public int HeadDim => Hidden / Heads;
}

/// <summary>How <c>make-tiny</c> stores the weights, after the published onnx-community / optimum variants.</summary>
public enum TinyWeightType
{
    /// <summary><c>model.onnx</c>: float32 weights and arithmetic.</summary>
    Float32,

    /// <summary><c>model_fp16.onnx</c>: float16 weights and arithmetic.</summary>
    Float16,

    /// <summary>
    /// <c>model_q4.onnx</c>: every projection and the LM head as <c>com.microsoft.MatMulNBits</c> (4 bits, block size 32,
    /// a float32 scale and a 4-bit zero point per block, as ONNX Runtime's MatMul4BitsQuantizer writes them); the embedding
    /// and norms stay float32.
    /// </summary>
    Int4,
}

/// <summary>Seeded weights of the tiny model. Matrices are [in, out], row-major, so y = x·W.</summary>
internal sealed class TinyWeights
{
    public required TinyModelConfig Config { get; init; }
    public required float[] Embed { get; init; }
    public required TinyLayer[] Layers { get; init; }
    public required float[] FinalNorm { get; init; }
    public required float[] LmHead { get; init; }
    /// <summary>[MaxPositions, HeadDim/2] rotary tables, stored in the model as exports precompute them.</summary>
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

    /// <summary>
    /// The same model with every weight that <see cref="TinyWeightType.Int4"/> quantizes replaced by its dequantized value:
    /// a float32 model that the int4 one must match to float rounding (tests use it to check the MatMulNBits layout).
    /// </summary>
    public TinyWeights WithInt4RoundTrip()
    {
        var c = Config;
        float[] RoundTrip(float[] w, int inFeatures, int outFeatures) => Int4Weight.Quantize(w, inFeatures, outFeatures).Dequantize();
        var layers = Layers.Select(l => l with
        {
            Q = RoundTrip(l.Q, c.Hidden, c.Heads * c.HeadDim),
            K = RoundTrip(l.K, c.Hidden, c.KvHeads * c.HeadDim),
            V = RoundTrip(l.V, c.Hidden, c.KvHeads * c.HeadDim),
            O = RoundTrip(l.O, c.Heads * c.HeadDim, c.Hidden),
            Gate = RoundTrip(l.Gate, c.Hidden, c.Intermediate),
            Up = RoundTrip(l.Up, c.Hidden, c.Intermediate),
            Down = RoundTrip(l.Down, c.Intermediate, c.Hidden),
        }).ToArray();
        return new TinyWeights
        {
            Config = c with { Weights = TinyWeightType.Float32 }, Embed = Embed, Layers = layers, FinalNorm = FinalNorm,
            LmHead = RoundTrip(LmHead, c.Hidden, c.VocabSize), Cos = Cos, Sin = Sin,
        };
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
