using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Evals.Runner.Backends.Onnx.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> for byte-level BPE (GPT-2 lineage: Qwen2/2.5/3, Llama 3, DeepSeek):
/// added tokens are cut out first, then each remaining segment is normalized (NFC), split by the pre-tokenizer
/// patterns, mapped byte-by-byte to GPT-2's alphabet and merged by rank. Mirrors the pipeline of huggingface/tokenizers.
/// </summary>
public sealed class Tokenizer
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private const int CacheLimit = 200_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _idToToken;
    private readonly byte[][] _idToBytes;
    private readonly bool[] _isSpecial;
    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly List<AddedToken> _added;
    private readonly NormalizationForm? _normalization;
    private readonly List<RegexSplitter> _splits;
    private bool _addPrefixSpace;
    private readonly bool _ignoreMerges;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;
    private readonly int[] _byteIds = new int[256];
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private Tokenizer(string source, JsonElement root)
    {
        Source = source;
        var model = Required(root, "model", source);
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
        if (type != "BPE") throw Unsupported(source, "model.type", type, "BPE");
        if (model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True)
            throw Unsupported(source, "model.byte_fallback", "true", "false (byte-level BPE needs no fallback)");
        _ignoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;

        _vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in Required(model, "vocab", source).EnumerateObject()) _vocab[entry.Name] = entry.Value.GetInt32();
        _added = [];
        if (root.TryGetProperty("added_tokens", out var addedTokens))
        {
            foreach (var a in addedTokens.EnumerateArray())
            {
                _added.Add(new AddedToken(a.GetProperty("id").GetInt32(), a.GetProperty("content").GetString() ?? "",
                    Flag(a, "special"), Flag(a, "lstrip"), Flag(a, "rstrip")));
            }
        }
        // Longest first, so that "<|im_start|>" wins over a shorter token that is its prefix.
        _added.Sort((x, y) => y.Content.Length.CompareTo(x.Content.Length));

        var maxId = Math.Max(_vocab.Count == 0 ? -1 : _vocab.Values.Max(), _added.Count == 0 ? -1 : _added.Max(a => a.Id));
        VocabSize = maxId + 1;
        _idToToken = new string?[VocabSize];
        _idToBytes = new byte[VocabSize][];
        _isSpecial = new bool[VocabSize];
        foreach (var (token, id) in _vocab)
        {
            _idToToken[id] = token;
            _idToBytes[id] = ByteLevel.Decode(token) ?? Encoding.UTF8.GetBytes(token);
        }
        foreach (var a in _added)
        {
            _idToToken[a.Id] = a.Content;
            _idToBytes[a.Id] = Encoding.UTF8.GetBytes(a.Content);
            _isSpecial[a.Id] = a.Special;
        }
        for (var i = 0; i < VocabSize; i++) _idToBytes[i] ??= [];
        for (var b = 0; b < 256; b++)
        {
            _byteIds[b] = _vocab.TryGetValue(ByteLevel.ByteToChar[b].ToString(), out var id) ? id : -1;
        }

        _merges = [];
        var rank = 0;
        foreach (var merge in Required(model, "merges", source).EnumerateArray())
        {
            string left, right;
            if (merge.ValueKind == JsonValueKind.Array)
            {
                left = merge[0].GetString() ?? "";
                right = merge[1].GetString() ?? "";
            }
            else
            {
                var text = merge.GetString() ?? "";
                var space = text.IndexOf(' ', 1);
                if (space < 0) throw new TokenizerException($"{source}: model.merges[{rank}] '{text}' is not two tokens separated by a space");
                left = text[..space];
                right = text[(space + 1)..];
            }
            if (_vocab.TryGetValue(left, out var l) && _vocab.TryGetValue(right, out var r) && _vocab.TryGetValue(left + right, out var m))
                _merges.TryAdd(Pair(l, r), (rank, m));
            rank++;
        }

        _normalization = ReadNormalizer(source, root.TryGetProperty("normalizer", out var n) ? n : default);
        _splits = [];
        ReadPreTokenizer(source, root.TryGetProperty("pre_tokenizer", out var p) ? p : default);
        var prefix = new List<int>();
        var suffix = new List<int>();
        ReadPostProcessor(source, root.TryGetProperty("post_processor", out var pp) ? pp : default, prefix, suffix);
        _prefixIds = [.. prefix];
        _suffixIds = [.. suffix];
    }

    public string Source { get; }

    /// <summary>One more than the highest id, added tokens included. Model logits at or above this index are never tokens.</summary>
    public int VocabSize { get; }

    public static Tokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"tokenizer file '{path}' does not exist");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new Tokenizer(path, doc.RootElement);
    }

    public static Tokenizer FromJson(string json, string source = "tokenizer.json")
    {
        using var doc = JsonDocument.Parse(json);
        return new Tokenizer(source, doc.RootElement);
    }

    public int? TokenToId(string token)
    {
        foreach (var a in _added)
        {
            if (a.Content == token) return a.Id;
        }
        return _vocab.TryGetValue(token, out var id) ? id : null;
    }

    public string? IdToToken(int id) => id >= 0 && id < VocabSize ? _idToToken[id] : null;

    public bool IsSpecial(int id) => id >= 0 && id < VocabSize && _isSpecial[id];

    /// <summary>Token ids for <paramref name="text"/>; with <paramref name="addSpecialTokens"/> the post-processor's BOS/EOS too.</summary>
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>(text.Length + 2);
        if (addSpecialTokens) ids.AddRange(_prefixIds);
        var pieces = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var (at, token) = FindAdded(text, start);
            var end = at < 0 ? text.Length : at;
            var segmentEnd = end;
            if (token is { LStrip: true }) while (segmentEnd > start && char.IsWhiteSpace(text[segmentEnd - 1])) segmentEnd--;
            if (segmentEnd > start) EncodeSegment(text[start..segmentEnd], ids, pieces);
            if (token is null) break;
            ids.Add(token.Id);
            start = at + token.Content.Length;
            if (token.RStrip) while (start < text.Length && char.IsWhiteSpace(text[start])) start++;
        }
        if (addSpecialTokens) ids.AddRange(_suffixIds);
        return [.. ids];
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>();
        foreach (var id in ids) bytes.AddRange(TokenBytes(id, skipSpecialTokens));
        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>The raw bytes one token stands for (empty for a skipped special token).</summary>
    public byte[] TokenBytes(int id, bool skipSpecialTokens = false)
    {
        if (id < 0 || id >= VocabSize) throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside [0, {VocabSize}) of {Source}");
        return skipSpecialTokens && _isSpecial[id] ? [] : _idToBytes[id];
    }

    private (int At, AddedToken? Token) FindAdded(string text, int from)
    {
        if (_added.Count == 0) return (-1, null);
        var bestAt = -1;
        AddedToken? best = null;
        foreach (var a in _added)
        {
            if (a.Content.Length == 0) continue;
            var at = text.IndexOf(a.Content, from, StringComparison.Ordinal);
            // Leftmost wins; at the same position the longest (the list is sorted longest first).
            if (at >= 0 && (bestAt < 0 || at < bestAt))
            {
                bestAt = at;
                best = a;
            }
        }
        return (bestAt, best);
    }

    private void EncodeSegment(string segment, List<int> ids, List<string> pieces)
    {
        if (_normalization is { } form && !segment.IsNormalized(form)) segment = segment.Normalize(form);
        if (_addPrefixSpace && segment.Length > 0 && segment[0] != ' ') segment = " " + segment;
        pieces.Clear();
        pieces.Add(segment);
        foreach (var split in _splits)
        {
            var next = new List<string>();
            foreach (var piece in pieces) split.Split(piece, next);
            pieces.Clear();
            pieces.AddRange(next);
        }
        foreach (var piece in pieces)
        {
            if (!_cache.TryGetValue(piece, out var pieceIds))
            {
                pieceIds = Bpe(piece);
                if (_cache.Count >= CacheLimit) _cache.Clear();
                _cache.TryAdd(piece, pieceIds);
            }
            ids.AddRange(pieceIds);
        }
    }

    private int[] Bpe(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        if (_ignoreMerges && _vocab.TryGetValue(ByteLevel.Encode(bytes), out var whole)) return [whole];
        var symbols = new List<int>(bytes.Length);
        foreach (var b in bytes)
        {
            var id = _byteIds[b];
            if (id < 0) throw new TokenizerException($"{Source}: the vocabulary has no token for byte 0x{b:X2} ('{ByteLevel.ByteToChar[b]}'), so it is not a byte-level BPE");
            symbols.Add(id);
        }
        // Merge the lowest-ranked adjacent pair, leftmost first, until no pair has a merge (huggingface/tokenizers word.rs).
        while (symbols.Count > 1)
        {
            var bestRank = int.MaxValue;
            var bestAt = -1;
            var merged = 0;
            for (var i = 0; i < symbols.Count - 1; i++)
            {
                if (_merges.TryGetValue(Pair(symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                {
                    bestRank = m.Rank;
                    bestAt = i;
                    merged = m.Merged;
                }
            }
            if (bestAt < 0) break;
            symbols[bestAt] = merged;
            symbols.RemoveAt(bestAt + 1);
        }
        return [.. symbols];
    }

    private static long Pair(int left, int right) => ((long)left << 32) | (uint)right;

    private static NormalizationForm? ReadNormalizer(string source, JsonElement n)
    {
        if (n.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return null;
        var type = n.GetProperty("type").GetString();
        switch (type)
        {
            case "NFC": return NormalizationForm.FormC;
            case "NFKC": return NormalizationForm.FormKC;
            case "NFD": return NormalizationForm.FormD;
            case "NFKD": return NormalizationForm.FormKD;
            case "Sequence":
                NormalizationForm? form = null;
                foreach (var inner in n.GetProperty("normalizers").EnumerateArray())
                {
                    if (form is not null) throw Unsupported(source, "normalizer", "Sequence of several normalizers", "one Unicode normalization");
                    form = ReadNormalizer(source, inner);
                }
                return form;
            default:
                throw Unsupported(source, "normalizer.type", type, "NFC, NFKC, NFD, NFKD or none");
        }
    }

    private void ReadPreTokenizer(string source, JsonElement p)
    {
        if (p.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return;
        var type = p.GetProperty("type").GetString();
        switch (type)
        {
            case "Sequence":
                foreach (var inner in p.GetProperty("pretokenizers").EnumerateArray()) ReadPreTokenizer(source, inner);
                break;
            case "Split":
                var behavior = p.TryGetProperty("behavior", out var b) ? b.GetString() : "Isolated";
                if (behavior != "Isolated") throw Unsupported(source, "pre_tokenizer Split.behavior", behavior, "Isolated");
                if (p.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True) throw Unsupported(source, "pre_tokenizer Split.invert", "true", "false");
                var pattern = p.GetProperty("pattern");
                _splits.Add(pattern.TryGetProperty("Regex", out var regex)
                    ? new RegexSplitter(regex.GetString() ?? "")
                    : new RegexSplitter(System.Text.RegularExpressions.Regex.Escape(pattern.GetProperty("String").GetString() ?? "")));
                break;
            case "ByteLevel":
                if (p.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True) _addPrefixSpace = true;
                if (!p.TryGetProperty("use_regex", out var ur) || ur.ValueKind == JsonValueKind.True) _splits.Add(new RegexSplitter(Gpt2Pattern));
                break;
            default:
                throw Unsupported(source, "pre_tokenizer.type", type, "Sequence, Split or ByteLevel");
        }
    }

    private void ReadPostProcessor(string source, JsonElement p, List<int> prefix, List<int> suffix)
    {
        if (p.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return;
        switch (p.GetProperty("type").GetString())
        {
            case "Sequence":
                foreach (var inner in p.GetProperty("processors").EnumerateArray()) ReadPostProcessor(source, inner, prefix, suffix);
                break;
            case "TemplateProcessing":
                var seenSequence = false;
                foreach (var piece in p.GetProperty("single").EnumerateArray())
                {
                    if (piece.TryGetProperty("Sequence", out _))
                    {
                        seenSequence = true;
                        continue;
                    }
                    var token = piece.GetProperty("SpecialToken").GetProperty("id").GetString() ?? "";
                    var id = TokenToId(token) ?? throw new TokenizerException($"{source}: post_processor names special token '{token}', which is not in the vocabulary");
                    (seenSequence ? suffix : prefix).Add(id);
                }
                break;
            default:
                break; // ByteLevel and RobertaProcessing-free setups add nothing for a single sequence
        }
    }

    private static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static JsonElement Required(JsonElement e, string name, string source) =>
        e.TryGetProperty(name, out var v) ? v : throw new TokenizerException($"{source}: missing field '{name}'");

    private static TokenizerException Unsupported(string source, string field, string? found, string expected) =>
        new($"{source}: {field} is '{found}', which this tokenizer does not support; expected {expected}");

    private sealed record AddedToken(int Id, string Content, bool Special, bool LStrip, bool RStrip);
}

public sealed class TokenizerException(string message) : Exception(message);
