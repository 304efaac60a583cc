using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Runner.Backends.Onnx.Tokenization;

namespace Evals.Runner.Backends.Onnx.TinyModel;

/// <summary>
/// A small Qwen-style byte-level BPE tokenizer.json: the 256 byte tokens (id = byte value), merges learned by plain BPE
/// training on a fixed Chinese/English corpus (deterministic: ties go to the ordinally smallest pair), then the ChatML
/// special tokens. Same normalizer, split pattern and decoder as Qwen2.5's.
/// </summary>
public static class TinyTokenizerBuilder
{
    public const string Corpus =
        "你好，世界！今天天气很好。我们一起去公园散步吧。中国的首都是北京。人工智能正在改变世界。" +
        "问题：下列哪一项是正确的？答案是：A。答案是：B。请回答问题。这是一个问题。我们的答案是正确的。" +
        "The quick brown fox jumps over the lazy dog. Hello world! The answer is A. The answer is B. " +
        "Question: which of the following is correct? Answer: the correct answer is the first one.";

    public static string Build(int merges = 96)
    {
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        var pieces = new List<string>();
        new RegexSplitter(TinyModelWriter.QwenSplitPattern).Split(Corpus.Normalize(NormalizationForm.FormC), pieces);
        foreach (var p in pieces)
        {
            var key = ByteLevel.Encode(Encoding.UTF8.GetBytes(p));
            words[key] = words.GetValueOrDefault(key) + 1;
        }

        var vocab = new List<string>();
        for (var b = 0; b < 256; b++) vocab.Add(ByteLevel.ByteToChar[b].ToString());
        var known = new HashSet<string>(vocab, StringComparer.Ordinal);
        var split = words.ToDictionary(w => w.Key, w => w.Key.Select(ch => ch.ToString()).ToList(), StringComparer.Ordinal);
        var mergeList = new List<string>();
        for (var m = 0; m < merges; m++)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var (word, symbols) in split)
            {
                for (var i = 0; i < symbols.Count - 1; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    counts[pair] = counts.GetValueOrDefault(pair) + words[word];
                }
            }
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First().Key;
            if (counts[best] < 2) break;
            var joined = best.Item1 + best.Item2;
            mergeList.Add($"{best.Item1} {best.Item2}");
            if (known.Add(joined)) vocab.Add(joined);
            foreach (var symbols in split.Values)
            {
                for (var i = 0; i < symbols.Count - 1; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] = joined;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }

        var vocabJson = new JsonObject();
        for (var i = 0; i < vocab.Count; i++) vocabJson[vocab[i]] = i;
        var added = new JsonArray();
        var next = vocab.Count;
        foreach (var special in new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>" })
        {
            added.Add(new JsonObject
            {
                ["id"] = next++, ["content"] = special, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        }
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = TinyModelWriter.QwenSplitPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "", ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocabJson,
                ["merges"] = new JsonArray(mergeList.Select(m => (JsonNode)m).ToArray()),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
