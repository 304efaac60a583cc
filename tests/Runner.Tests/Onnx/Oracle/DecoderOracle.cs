using System.Text.Json;

namespace Evals.Runner.Tests.Onnx.Oracle;

/// <summary>
/// A Qwen2-style decoder written from the formulas, in double, for checking ONNX Runtime's logits: RMSNorm
/// x / sqrt(mean(x²) + eps) · w; rotary positions with the rotate-half pairing (dimension j with j + d/2) at angle
/// p · theta^(-2j/d), computed here from config.json's rope_theta and never read from the model's rotary tables;
/// grouped-query attention where query head h reads key/value head h / (heads / kv_heads); SwiGLU silu(x·Wg) ⊙ (x·Wu) · Wd.
/// Only the weights come from the model folder, read from the .onnx initializers as stored.
/// </summary>
internal sealed class DecoderOracle
{
    private readonly int _hidden, _heads, _kvHeads, _headDim, _intermediate, _vocab;
    private readonly double _eps, _theta;
    private readonly float[] _embed, _finalNorm, _lmHead;
    private readonly Layer[] _layers;

    private sealed record Layer(float[] InputNorm, float[] Q, float[] K, float[] V, float[] O, float[] PostNorm, float[] Gate, float[] Up, float[] Down);

    public DecoderOracle(string modelFolder)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelFolder, "config.json")));
        var root = config.RootElement;
        _hidden = root.GetProperty("hidden_size").GetInt32();
        _heads = root.GetProperty("num_attention_heads").GetInt32();
        _kvHeads = root.GetProperty("num_key_value_heads").GetInt32();
        _headDim = _hidden / _heads;
        _intermediate = root.GetProperty("intermediate_size").GetInt32();
        _vocab = root.GetProperty("vocab_size").GetInt32();
        _eps = root.GetProperty("rms_norm_eps").GetDouble();
        _theta = root.GetProperty("rope_theta").GetDouble();
        var layerCount = root.GetProperty("num_hidden_layers").GetInt32();

        var w = OnnxInitializers.Read(Path.Combine(modelFolder, "model.onnx"));
        _embed = w.Get("model.embed_tokens.weight", _vocab, _hidden);
        _finalNorm = w.Get("model.norm.weight", _hidden);
        _lmHead = w.Get("lm_head.weight", _hidden, _vocab);
        _layers = new Layer[layerCount];
        for (var l = 0; l < layerCount; l++)
        {
            var p = $"model.layers.{l}";
            _layers[l] = new Layer(
                w.Get($"{p}.input_layernorm.weight", _hidden),
                w.Get($"{p}.self_attn.q_proj.weight", _hidden, _heads * _headDim),
                w.Get($"{p}.self_attn.k_proj.weight", _hidden, _kvHeads * _headDim),
                w.Get($"{p}.self_attn.v_proj.weight", _hidden, _kvHeads * _headDim),
                w.Get($"{p}.self_attn.o_proj.weight", _heads * _headDim, _hidden),
                w.Get($"{p}.post_attention_layernorm.weight", _hidden),
                w.Get($"{p}.mlp.gate_proj.weight", _hidden, _intermediate),
                w.Get($"{p}.mlp.up_proj.weight", _hidden, _intermediate),
                w.Get($"{p}.mlp.down_proj.weight", _intermediate, _hidden));
        }
    }

    public int VocabSize => _vocab;

    /// <summary>Logits [T][V] of one unpadded sequence at positions 0..T-1.</summary>
    public double[][] Forward(IReadOnlyList<int> ids)
    {
        var x = ids.Select(id => Enumerable.Range(0, _hidden).Select(e => (double)_embed[id * _hidden + e]).ToArray()).ToArray();
        foreach (var layer in _layers)
        {
            var h = x.Select(row => RmsNorm(row, layer.InputNorm)).ToArray();
            var q = h.Select((row, pos) => Rotate(MatVec(row, layer.Q, _heads * _headDim), pos, _heads)).ToArray();
            var k = h.Select((row, pos) => Rotate(MatVec(row, layer.K, _kvHeads * _headDim), pos, _kvHeads)).ToArray();
            var v = h.Select(row => MatVec(row, layer.V, _kvHeads * _headDim)).ToArray();
            for (var i = 0; i < x.Length; i++)
            {
                var attended = new double[_heads * _headDim];
                for (var head = 0; head < _heads; head++) Attend(q, k, v, i, head, attended);
                Accumulate(x[i], MatVec(attended, layer.O, _hidden));
                var h2 = RmsNorm(x[i], layer.PostNorm);
                var gate = MatVec(h2, layer.Gate, _intermediate);
                var up = MatVec(h2, layer.Up, _intermediate);
                var swiglu = gate.Select((g, e) => g / (1 + Math.Exp(-g)) * up[e]).ToArray();
                Accumulate(x[i], MatVec(swiglu, layer.Down, _hidden));
            }
        }
        return x.Select(row => MatVec(RmsNorm(row, _finalNorm), _lmHead, _vocab)).ToArray();
    }

    /// <summary>log softmax of <paramref name="logits"/> at <paramref name="token"/>, by log-sum-exp.</summary>
    public static double LogProb(double[] logits, int token)
    {
        var max = logits.Max();
        return logits[token] - max - Math.Log(logits.Sum(l => Math.Exp(l - max)));
    }

    private void Attend(double[][] q, double[][] k, double[][] v, int i, int head, double[] output)
    {
        var kvHead = head / (_heads / _kvHeads);
        var scores = new double[i + 1];
        for (var j = 0; j <= i; j++)
        {
            double dot = 0;
            for (var e = 0; e < _headDim; e++) dot += q[i][head * _headDim + e] * k[j][kvHead * _headDim + e];
            scores[j] = dot / Math.Sqrt(_headDim);
        }
        var max = scores.Max();
        var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
        var total = weights.Sum();
        for (var e = 0; e < _headDim; e++)
        {
            double sum = 0;
            for (var j = 0; j <= i; j++) sum += weights[j] / total * v[j][kvHead * _headDim + e];
            output[head * _headDim + e] = sum;
        }
    }

    private double[] Rotate(double[] heads, int position, int headCount)
    {
        var half = _headDim / 2;
        var rotated = new double[heads.Length];
        for (var head = 0; head < headCount; head++)
        {
            var o = head * _headDim;
            for (var j = 0; j < half; j++)
            {
                var angle = position * Math.Pow(_theta, -2.0 * j / _headDim);
                double x1 = heads[o + j], x2 = heads[o + half + j];
                rotated[o + j] = x1 * Math.Cos(angle) - x2 * Math.Sin(angle);
                rotated[o + half + j] = x2 * Math.Cos(angle) + x1 * Math.Sin(angle);
            }
        }
        return rotated;
    }

    private double[] RmsNorm(double[] x, float[] weight)
    {
        var rms = Math.Sqrt(x.Sum(e => e * e) / x.Length + _eps);
        return x.Select((e, i) => e / rms * weight[i]).ToArray();
    }

    /// <summary>x · W with W stored [in, out] row-major, as the ONNX MatMul initializers are.</summary>
    private static double[] MatVec(double[] x, float[] w, int cols)
    {
        var y = new double[cols];
        for (var r = 0; r < x.Length; r++)
        {
            for (var c = 0; c < cols; c++) y[c] += x[r] * w[r * cols + c];
        }
        return y;
    }

    private static void Accumulate(double[] x, double[] delta)
    {
        for (var i = 0; i < x.Length; i++) x[i] += delta[i];
    }
}
