using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.Runner.Backends.Onnx.Native;
using Evals.Runner.Backends.Onnx.Tokenization;

namespace Evals.Runner.Backends.Onnx;

/// <summary>
/// A decoder-only model folder as Hugging Face optimum / onnx-community export it: <c>model.onnx</c> (or <c>onnx/model.onnx</c>,
/// with external data beside it), <c>config.json</c>, <c>tokenizer.json</c>, and optionally <c>tokenizer_config.json</c> and
/// <c>generation_config.json</c>.
/// </summary>
public sealed class ModelFolder
{
    private ModelFolder(string folder, string modelPath, JsonElement config, Tokenizer tokenizer, ChatTemplate? chat, IReadOnlySet<int> eosIds, int? padId)
    {
        Folder = folder;
        ModelPath = modelPath;
        Config = config;
        Tokenizer = tokenizer;
        ChatTemplate = chat;
        EosIds = eosIds;
        PadId = padId;
    }

    public string Folder { get; }

    public string ModelPath { get; }

    public Tokenizer Tokenizer { get; }

    public ChatTemplate? ChatTemplate { get; }

    public IReadOnlySet<int> EosIds { get; }

    public int? PadId { get; }

    internal JsonElement Config { get; }

    public static ModelFolder Open(string folder, string? modelFile = null)
    {
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new ModelFolderException(full, $"onnx:{folder}: the folder '{full}' does not exist");
        string[] candidates = modelFile is not null ? [modelFile, Path.Combine("onnx", modelFile)] : ["model.onnx", Path.Combine("onnx", "model.onnx")];
        var modelPath = candidates.Select(c => Path.Combine(full, c)).FirstOrDefault(File.Exists);
        var missing = new List<string>();
        if (modelPath is null) missing.Add(string.Join(" or ", candidates));
        if (!File.Exists(Path.Combine(full, "config.json"))) missing.Add("config.json");
        if (!File.Exists(Path.Combine(full, "tokenizer.json"))) missing.Add("tokenizer.json");
        if (missing.Count > 0)
        {
            var found = Directory.EnumerateFileSystemEntries(full, "*", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(full, p)).Order(StringComparer.Ordinal).Take(30).ToList();
            throw new ModelFolderException(full,
                $"onnx:{folder}: not a decoder-only ONNX model folder. Expected model.onnx (or onnx/model.onnx, or the file named by the file= option), "
                + $"config.json and tokenizer.json (plus optional tokenizer_config.json, generation_config.json); missing: {string.Join(", ", missing)}; "
                + $"found: {(found.Count == 0 ? "nothing" : string.Join(", ", found))}");
        }
        using var configDoc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(full, "config.json")));
        var config = configDoc.RootElement.Clone();
        var tokenizer = Tokenizer.Load(Path.Combine(full, "tokenizer.json"));
        var tokenizerConfig = Path.Combine(full, "tokenizer_config.json");
        var chat = ChatTemplate.FromTokenizerConfig(tokenizerConfig);

        var eos = new HashSet<int>();
        AddIds(config, "eos_token_id", eos);
        var generationConfig = Path.Combine(full, "generation_config.json");
        if (File.Exists(generationConfig))
        {
            using var gen = JsonDocument.Parse(File.ReadAllBytes(generationConfig));
            AddIds(gen.RootElement, "eos_token_id", eos);
        }
        int? pad = null;
        if (File.Exists(tokenizerConfig))
        {
            using var tc = JsonDocument.Parse(File.ReadAllBytes(tokenizerConfig));
            if (TokenName(tc.RootElement, "eos_token") is { } eosName && tokenizer.TokenToId(eosName) is { } eosId) eos.Add(eosId);
            if (TokenName(tc.RootElement, "pad_token") is { } padName) pad = tokenizer.TokenToId(padName);
        }
        return new ModelFolder(full, modelPath!, config, tokenizer, chat, eos, pad);
    }

    internal int? ConfigInt(string name) =>
        Config.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static void AddIds(JsonElement root, string name, HashSet<int> ids)
    {
        if (!root.TryGetProperty(name, out var v)) return;
        if (v.ValueKind == JsonValueKind.Number) ids.Add(v.GetInt32());
        else if (v.ValueKind == JsonValueKind.Array) foreach (var e in v.EnumerateArray()) if (e.ValueKind == JsonValueKind.Number) ids.Add(e.GetInt32());
    }

    private static string? TokenName(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString() : null;
}

/// <summary>How a decoder session's inputs and outputs map to the KV-cache protocol, read from the session itself.</summary>
internal sealed record DecoderLayout(
    string? PositionIds,
    string? UseCacheBranch,
    IReadOnlyList<DecoderLayer> Layers,
    int KvHeads,
    int HeadDim,
    TensorElementType KvType,
    int LogitsVocab)
{
    private static readonly Regex s_past = new(@"^past_key_values\.(\d+)\.(key|value)$", RegexOptions.CultureInvariant);

    public static DecoderLayout Read(OrtSession session, ModelFolder folder)
    {
        var inputs = session.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var outputs = session.Outputs.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var required in new[] { "input_ids", "attention_mask" })
        {
            if (!inputs.TryGetValue(required, out var info)) problems.Add($"input '{required}' is missing");
            else if (info.ElementType != TensorElementType.Int64) problems.Add($"input '{required}' is {info.ElementType}, expected Int64");
        }
        if (!outputs.ContainsKey("logits")) problems.Add("output 'logits' is missing");
        var layerIndices = inputs.Keys.Select(n => s_past.Match(n)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Order().ToList();
        if (layerIndices.Count == 0) problems.Add("no past_key_values.N.key/value inputs (the model was exported without a KV cache: export with --task text-generation-with-past)");
        var layers = new List<DecoderLayer>();
        for (var i = 0; i < layerIndices.Count; i++)
        {
            if (layerIndices[i] != i)
            {
                problems.Add($"past_key_values layers are not numbered 0..{layerIndices.Count - 1}");
                break;
            }
            var layer = new DecoderLayer($"past_key_values.{i}.key", $"past_key_values.{i}.value", $"present.{i}.key", $"present.{i}.value");
            foreach (var name in new[] { layer.PastKey, layer.PastValue }) if (!inputs.ContainsKey(name)) problems.Add($"input '{name}' is missing");
            foreach (var name in new[] { layer.PresentKey, layer.PresentValue }) if (!outputs.ContainsKey(name)) problems.Add($"output '{name}' is missing");
            layers.Add(layer);
        }
        var known = new HashSet<string>(["input_ids", "attention_mask", "position_ids", "use_cache_branch"], StringComparer.Ordinal);
        foreach (var name in inputs.Keys.Where(n => !known.Contains(n) && !s_past.IsMatch(n))) problems.Add($"input '{name}' is not one Evals knows how to feed");

        int kvHeads = 0, headDim = 0;
        var kvType = TensorElementType.Float;
        if (layers.Count > 0 && inputs.TryGetValue(layers[0].PastKey, out var past))
        {
            kvType = past.ElementType;
            if (kvType is not (TensorElementType.Float or TensorElementType.Float16)) problems.Add($"the KV cache is {kvType}; expected Float or Float16");
            if (past.Dims.Length != 4) problems.Add($"'{past.Name}' has rank {past.Dims.Length}; expected [batch, kv_heads, past_sequence, head_dim]");
            else
            {
                // Static dims are the truth; config.json fills in the dims an export left symbolic.
                var configHeadDim = folder.ConfigInt("head_dim")
                    ?? (folder.ConfigInt("hidden_size") is { } hidden && folder.ConfigInt("num_attention_heads") is { } heads && heads > 0 ? hidden / heads : null);
                var configKv = folder.ConfigInt("num_key_value_heads") ?? folder.ConfigInt("num_attention_heads");
                kvHeads = past.Dims[1] > 0 ? (int)past.Dims[1] : configKv ?? 0;
                headDim = past.Dims[3] > 0 ? (int)past.Dims[3] : configHeadDim ?? 0;
                if (kvHeads <= 0) problems.Add($"'{past.Name}' has a symbolic kv_heads dim and config.json has no num_key_value_heads");
                if (headDim <= 0) problems.Add($"'{past.Name}' has a symbolic head_dim and config.json has neither head_dim nor hidden_size/num_attention_heads");
                if (past.Dims[1] > 0 && configKv is { } ck && ck != past.Dims[1]) problems.Add($"config.json says num_key_value_heads={ck} but '{past.Name}' has {past.Dims[1]}");
            }
        }
        if (folder.ConfigInt("num_hidden_layers") is { } configLayers && layers.Count > 0 && configLayers != layers.Count)
            problems.Add($"config.json says num_hidden_layers={configLayers} but the model has {layers.Count} past_key_values layers");
        var logitsVocab = outputs.TryGetValue("logits", out var logits) && logits.Dims.Length == 3 && logits.Dims[2] > 0
            ? (int)logits.Dims[2] : folder.ConfigInt("vocab_size") ?? 0;
        if (logits is not null && logits.ElementType is not (TensorElementType.Float or TensorElementType.Float16))
            problems.Add($"'logits' is {logits.ElementType}; expected Float or Float16");
        if (problems.Count > 0)
        {
            throw new ModelFolderException(folder.Folder,
                $"onnx:{folder.Folder}: '{Path.GetFileName(folder.ModelPath)}' is not a supported decoder-only model: {string.Join("; ", problems)}. "
                + "Expected inputs input_ids, attention_mask, optional position_ids, past_key_values.N.key/value [batch, kv_heads, past, head_dim]; outputs logits, present.N.key/value. "
                + $"Found inputs: {string.Join(", ", session.Inputs)}; outputs: {string.Join(", ", session.Outputs)}");
        }
        return new DecoderLayout(inputs.ContainsKey("position_ids") ? "position_ids" : null, inputs.ContainsKey("use_cache_branch") ? "use_cache_branch" : null,
            layers, kvHeads, headDim, kvType, logitsVocab);
    }
}

internal sealed record DecoderLayer(string PastKey, string PastValue, string PresentKey, string PresentValue);

/// <summary>A model folder is missing files or holds a model Evals cannot drive. The message lists what was expected and found.</summary>
public sealed class ModelFolderException(string folder, string message) : Exception(message)
{
    public string Folder { get; } = folder;
}
