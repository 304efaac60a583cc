using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Runner.Backends.Onnx.Tokenization;

namespace Evals.Runner.Backends.Onnx.TinyModel;

/// <summary>
/// Writes a tiny decoder-only causal LM as a model folder in the Hugging Face optimum / onnx-community layout
/// (<c>model.onnx</c>, <c>config.json</c>, <c>generation_config.json</c>, <c>tokenizer.json</c>, <c>tokenizer_config.json</c>),
/// with seeded weights, for tests and for <c>evals onnx make-tiny</c> smoke runs. The graph uses standard opset-17
/// operators (plus <c>com.microsoft.MatMulNBits</c> for <see cref="TinyWeightType.Int4"/>) and has the KV-cache interface of optimum's exports: <c>input_ids</c>, <c>attention_mask</c>, <c>position_ids</c>,
/// <c>past_key_values.N.key|value</c> [batch, kv_heads, past, head_dim] in; <c>logits</c>, <c>present.N.key|value</c> out.
/// </summary>
public static class TinyModelWriter
{
    public const string QwenSplitPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// Writes the folder. With <paramref name="tokenizerJson"/> that tokenizer is copied (with the tokenizer_config.json beside
    /// it, if any, so its chat template and special tokens come along) and the vocabulary is sized to it; otherwise a small
    /// one is built.
    /// </summary>
    public static TinyModelConfig Write(string folder, ulong seed = 42, string? tokenizerJson = null, TinyModelConfig? config = null)
    {
        Directory.CreateDirectory(folder);
        Tokenizer tokenizer;
        var tokenizerConfigCopied = false;
        if (tokenizerJson is not null)
        {
            tokenizer = Tokenizer.Load(tokenizerJson);
            var source = Path.GetFullPath(tokenizerJson);
            var target = Path.GetFullPath(Path.Combine(folder, "tokenizer.json"));
            if (source != target) File.Copy(source, target, overwrite: true);
            var configBeside = Path.Combine(Path.GetDirectoryName(source) ?? ".", "tokenizer_config.json");
            var configTarget = Path.GetFullPath(Path.Combine(folder, "tokenizer_config.json"));
            if (File.Exists(configBeside))
            {
                if (Path.GetFullPath(configBeside) != configTarget) File.Copy(configBeside, configTarget, overwrite: true);
                tokenizerConfigCopied = true;
            }
        }
        else
        {
            var json = TinyTokenizerBuilder.Build();
            File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json);
            tokenizer = Tokenizer.FromJson(json);
        }
        config ??= new TinyModelConfig();
        // Round the embedding rows up past the tokenizer, as real checkpoints do (Qwen2.5: 151936 rows for ~151665 tokens).
        var vocab = Math.Max(config.VocabSize, (tokenizer.VocabSize + 63) / 64 * 64);
        config = config with { VocabSize = vocab };
        var weights = TinyWeights.Create(config, seed);
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), BuildGraph(weights));

        var endOfText = tokenizer.TokenToId("<|endoftext|>");
        var imEnd = tokenizer.TokenToId("<|im_end|>") ?? endOfText;
        var eos = new JsonArray(new[] { imEnd, endOfText }.Where(i => i is not null).Distinct().Select(i => (JsonNode)i!.Value).ToArray());
        Write(folder, "config.json", new JsonObject
        {
            ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
            ["model_type"] = "qwen2",
            ["hidden_size"] = config.Hidden,
            ["intermediate_size"] = config.Intermediate,
            ["num_hidden_layers"] = config.Layers,
            ["num_attention_heads"] = config.Heads,
            ["num_key_value_heads"] = config.KvHeads,
            ["head_dim"] = config.HeadDim,
            ["max_position_embeddings"] = config.MaxPositions,
            ["rms_norm_eps"] = config.RmsEps,
            ["rope_theta"] = config.RopeTheta,
            ["vocab_size"] = config.VocabSize,
            ["eos_token_id"] = imEnd,
            ["bos_token_id"] = endOfText,
            ["torch_dtype"] = config.Weights == TinyWeightType.Float16 || config.Float16Io ? "float16" : "float32",
            ["evals_tiny_seed"] = seed,
        });
        Write(folder, "generation_config.json", new JsonObject { ["eos_token_id"] = eos, ["do_sample"] = false });
        if (!tokenizerConfigCopied) Write(folder, "tokenizer_config.json", new JsonObject
        {
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<|endoftext|>",
            ["bos_token"] = null,
            ["add_bos_token"] = false,
            ["chat_template"] = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
        });
        return config;
    }

    private static void Write(string folder, string name, JsonObject json) =>
        File.WriteAllText(Path.Combine(folder, name), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    internal static byte[] BuildGraph(TinyWeights w)
    {
        var c = w.Config;
        int hd = c.HeadDim, half = hd / 2, groups = c.Heads / c.KvHeads;
        var g = new OnnxGraphBuilder();
        var ids = g.Input("input_ids", OnnxGraphBuilder.Int64, "batch_size", "sequence_length");
        var mask = g.Input("attention_mask", OnnxGraphBuilder.Int64, "batch_size", "total_sequence_length");
        var positions = g.Input("position_ids", OnnxGraphBuilder.Int64, "batch_size", "sequence_length");
        var io = c.Float16Io ? OnnxGraphBuilder.Float16 : OnnxGraphBuilder.Float;
        var compute = c.Weights == TinyWeightType.Float16 ? OnnxGraphBuilder.Float16 : OnnxGraphBuilder.Float;
        string Cast(string name, int from, int to) => from == to ? name : g.Op("Cast", [name], ("to", (long)to));
        string Output(string name, string value) =>
            io == compute ? g.OpNamed(name, "Identity", [value]) : g.OpNamed(name, "Cast", [value], ("to", (long)io));
        string Weight(string name, float[] data, params long[] dims) =>
            compute == OnnxGraphBuilder.Float16 ? g.HalfInitializer(name, data, dims) : g.Initializer(name, data, dims);
        string Linear(string input, string name, float[] weight, int inFeatures, int outFeatures) =>
            c.Weights == TinyWeightType.Int4 ? Int4Linear(g, input, name, weight, inFeatures, outFeatures)
            : g.Op("MatMul", [input, Weight(name, weight, inFeatures, outFeatures)]);

        var pastInputs = new List<string>();
        for (var l = 0; l < c.Layers; l++)
        {
            pastInputs.Add(g.Input($"past_key_values.{l}.key", io, "batch_size", c.KvHeads, "past_sequence_length", hd));
            pastInputs.Add(g.Input($"past_key_values.{l}.value", io, "batch_size", c.KvHeads, "past_sequence_length", hd));
        }
        if (c.MergedDecoder) pastInputs = [.. MergedDecoderBranch(g, pastInputs, io, c.KvHeads, hd)];
        var pastNames = Enumerable.Range(0, c.Layers).Select(l => (Key: Cast(pastInputs[2 * l], io, compute), Value: Cast(pastInputs[2 * l + 1], io, compute))).ToList();

        var embed = Weight("model.embed_tokens.weight", w.Embed, c.VocabSize, c.Hidden);
        var x = g.Op("Gather", [embed, ids], ("axis", 0L));
        var axis2 = g.Ints(2);
        var cos = g.Op("Unsqueeze", [g.Op("Gather", [Weight("rotary.cos", w.Cos, c.MaxPositions, half), positions], ("axis", 0L)), axis2]);
        var sin = g.Op("Unsqueeze", [g.Op("Gather", [Weight("rotary.sin", w.Sin, c.MaxPositions, half), positions], ("axis", 0L)), axis2]);

        // Causal mask over the whole (past + new) sequence: query i sits at total index S-T+i and may see keys j <= S-T+i
        // whose attention_mask is 1. Rows are tiled per query group to match the grouped query layout below.
        var zero = g.ScalarInt(0);
        var one = g.ScalarInt(1);
        var total = g.Op("Squeeze", [g.Op("Shape", [mask], ("start", 1L), ("end", 2L)), g.Ints(0)]);
        var newLen = g.Op("Squeeze", [g.Op("Shape", [ids], ("start", 1L), ("end", 2L)), g.Ints(0)]);
        var keyIndex = g.Op("Range", [zero, total, one]);
        var queryIndex = g.Op("Unsqueeze", [g.Op("Range", [g.Op("Sub", [total, newLen]), total, one]), g.Ints(1)]);
        var causal = g.Op("Tile", [g.Op("LessOrEqual", [keyIndex, queryIndex]), g.Ints(groups, 1)]);
        var padding = g.Op("Unsqueeze", [g.Op("Cast", [mask], ("to", (long)OnnxGraphBuilder.Bool)), g.Ints(1, 2)]);
        var allowed = g.Op("And", [causal, padding]);
        var masked = g.Scalar(-1e9f);
        var scale = g.Scalar((float)(1 / Math.Sqrt(hd)));
        var eps = g.Scalar(c.RmsEps);
        var lastAxis = new[] { -1L };

        // RMSNorm and softmax run in float32 whatever the weights, as the Hugging Face modelling code casts before export.
        string RmsNorm(string input, float[] weight, string name)
        {
            var wide = Cast(input, compute, OnnxGraphBuilder.Float);
            var meanSquare = g.Op("ReduceMean", [g.Op("Mul", [wide, wide])], ("axes", lastAxis), ("keepdims", 1L));
            var normed = g.Op("Div", [wide, g.Op("Sqrt", [g.Op("Add", [meanSquare, eps])])]);
            return g.Op("Mul", [Cast(normed, OnnxGraphBuilder.Float, compute), Weight(name, weight, weight.Length)]);
        }

        string Rope(string input)
        {
            var x1 = g.Op("Slice", [input, g.Ints(0), g.Ints(half), g.Ints(3)]);
            var x2 = g.Op("Slice", [input, g.Ints(half), g.Ints(hd), g.Ints(3)]);
            var first = g.Op("Sub", [g.Op("Mul", [x1, cos]), g.Op("Mul", [x2, sin])]);
            var second = g.Op("Add", [g.Op("Mul", [x2, cos]), g.Op("Mul", [x1, sin])]);
            return g.Op("Concat", [first, second], ("axis", 3L));
        }

        for (var l = 0; l < c.Layers; l++)
        {
            var layer = w.Layers[l];
            var p = $"model.layers.{l}";
            var h = RmsNorm(x, layer.InputNorm, $"{p}.input_layernorm.weight");
            var q = Rope(g.Op("Reshape", [Linear(h, $"{p}.self_attn.q_proj.weight", layer.Q, c.Hidden, c.Heads * hd), g.Ints(0, 0, c.Heads, hd)]));
            var k = Rope(g.Op("Reshape", [Linear(h, $"{p}.self_attn.k_proj.weight", layer.K, c.Hidden, c.KvHeads * hd), g.Ints(0, 0, c.KvHeads, hd)]));
            var v = g.Op("Reshape", [Linear(h, $"{p}.self_attn.v_proj.weight", layer.V, c.Hidden, c.KvHeads * hd), g.Ints(0, 0, c.KvHeads, hd)]);
            // The present leaves in the I/O type, and attention reads it back from there: with float16 I/O over float32
            // arithmetic the keys are rounded, as the next step (fed the rounded cache) will see them.
            var keys = Cast(Output($"present.{l}.key", g.Op("Concat", [pastNames[l].Key, g.Op("Transpose", [k], ("perm", new long[] { 0, 2, 1, 3 }))], ("axis", 2L))), io, compute);
            var values = Cast(Output($"present.{l}.value", g.Op("Concat", [pastNames[l].Value, g.Op("Transpose", [v], ("perm", new long[] { 0, 2, 1, 3 }))], ("axis", 2L))), io, compute);
            // Grouped-query attention without repeating K/V: query head kv*G+g is folded into row g*T+t of its KV head.
            var qGrouped = g.Op("Reshape", [g.Op("Transpose", [g.Op("Reshape", [q, g.Ints(0, 0, c.KvHeads, groups, hd)])], ("perm", new long[] { 0, 2, 3, 1, 4 })), g.Ints(0, 0, -1, hd)]);
            var rawScores = g.Op("MatMul", [qGrouped, g.Op("Transpose", [keys], ("perm", new long[] { 0, 1, 3, 2 }))]);
            var scores = g.Op("Mul", [Cast(rawScores, compute, OnnxGraphBuilder.Float), scale]);
            var probs = Cast(g.Op("Softmax", [g.Op("Where", [allowed, scores, masked])], ("axis", -1L)), OnnxGraphBuilder.Float, compute);
            var context = g.Op("MatMul", [probs, values]);
            var merged = g.Op("Reshape", [g.Op("Transpose", [g.Op("Reshape", [context, g.Ints(0, 0, groups, -1, hd)])], ("perm", new long[] { 0, 3, 1, 2, 4 })), g.Ints(0, 0, -1)]);
            x = g.Op("Add", [x, Linear(merged, $"{p}.self_attn.o_proj.weight", layer.O, c.Heads * hd, c.Hidden)]);
            var h2 = RmsNorm(x, layer.PostNorm, $"{p}.post_attention_layernorm.weight");
            var gate = Linear(h2, $"{p}.mlp.gate_proj.weight", layer.Gate, c.Hidden, c.Intermediate);
            var up = Linear(h2, $"{p}.mlp.up_proj.weight", layer.Up, c.Hidden, c.Intermediate);
            var act = g.Op("Mul", [g.Op("Mul", [gate, g.Op("Sigmoid", [gate])]), up]);
            x = g.Op("Add", [x, Linear(act, $"{p}.mlp.down_proj.weight", layer.Down, c.Intermediate, c.Hidden)]);
        }
        var final = RmsNorm(x, w.FinalNorm, "model.norm.weight");
        Output("logits", Linear(final, "lm_head.weight", w.LmHead, c.Hidden, c.VocabSize));
        g.Output("logits", io, "batch_size", "sequence_length", c.VocabSize);
        for (var l = 0; l < c.Layers; l++)
        {
            g.Output($"present.{l}.key", io, "batch_size", c.KvHeads, "total_sequence_length", hd);
            g.Output($"present.{l}.value", io, "batch_size", c.KvHeads, "total_sequence_length", hd);
        }
        return g.ToModel("evals_tiny_decoder");
    }

    /// <summary>
    /// optimum's merged decoder (<c>decoder_model_merged.onnx</c>): a <c>use_cache_branch</c> input and an <c>If</c> that,
    /// when it is false, runs the decoder without its past (here: the past inputs cut to length 0), so a caller that feeds
    /// false with a real cache gets answers that ignore it.
    /// </summary>
    private static string[] MergedDecoderBranch(OnnxGraphBuilder g, List<string> pastInputs, int io, int kvHeads, int headDim)
    {
        var useCache = g.Input("use_cache_branch", OnnxGraphBuilder.Bool, 1);
        var withPast = g.Branch("with_past_");
        var withoutPast = g.Branch("without_past_");
        foreach (var past in pastInputs)
        {
            withPast.OpNamed($"with_past_{past}", "Identity", [past]);
            withPast.Output($"with_past_{past}", io, "batch_size", kvHeads, "past_sequence_length", headDim);
            withoutPast.OpNamed($"without_past_{past}", "Slice", [past, withoutPast.Ints(0), withoutPast.Ints(0), withoutPast.Ints(2)]);
            withoutPast.Output($"without_past_{past}", io, "batch_size", kvHeads, 0, headDim);
        }
        return g.OpMulti("If", [useCache], pastInputs.Count,
            ("then_branch", new GraphAttribute(withPast, "with_past")), ("else_branch", new GraphAttribute(withoutPast, "without_past")));
    }

    private static string Int4Linear(OnnxGraphBuilder g, string input, string name, float[] weight, int inFeatures, int outFeatures)
    {
        var q = Int4Weight.Quantize(weight, inFeatures, outFeatures);
        return g.DomainOp(OnnxGraphBuilder.MicrosoftDomain, "MatMulNBits",
            [input, g.ByteInitializer($"{name}_Q4", q.Codes, outFeatures, q.Blocks, Int4Weight.BlockSize / 2),
                g.Initializer($"{name}_scales", q.Scales, outFeatures * q.Blocks),
                g.ByteInitializer($"{name}_zero_points", q.ZeroPoints, outFeatures * q.ZeroPointBytes)],
            ("K", (long)inFeatures), ("N", (long)outFeatures), ("bits", 4L), ("block_size", (long)Int4Weight.BlockSize));
    }
}
