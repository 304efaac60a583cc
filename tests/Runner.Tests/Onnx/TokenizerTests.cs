using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Runner.Backends.Onnx.Tokenization;

namespace Evals.Runner.Tests.Onnx;

public sealed class TokenizerTests
{
    // Byte-level symbols: 'Ġ' is a space; 你 = E4 BD A0 = "ä½ł" and 好 = E5 A5 BD = "å¥½" in GPT-2's byte alphabet.
    private const string HandBuilt = """
        {
          "added_tokens": [ { "id": 26, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true } ],
          "normalizer": { "type": "NFC" },
          "pre_tokenizer": { "type": "Sequence", "pretokenizers": [
            { "type": "Split", "pattern": { "Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, "behavior": "Isolated", "invert": false },
            { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false } ] },
          "post_processor": null,
          "decoder": { "type": "ByteLevel" },
          "model": { "type": "BPE", "byte_fallback": false, "ignore_merges": false,
            "vocab": { "h": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "he": 8, "ll": 9, "llo": 10, "hello": 11,
                       "Ġw": 12, "or": 13, "Ġwor": 14, "ld": 15, "ä": 16, "½": 17, "ł": 18, "å": 19, "¥": 20,
                       "ä½": 21, "ä½ł": 22, "å¥": 23, "å¥½": 24, "ä½łå¥½": 25 },
            "merges": [ "h e", "l l", "ll o", "he llo", "Ġ w", "o r", "Ġw or", "l d", "ä ½", "ä½ ł", "å ¥", "å¥ ½", "ä½ł å¥½" ] }
        }
        """;

    [Fact]
    public void Hand_built_tokenizer_gives_the_ids_worked_out_by_hand()
    {
        var tokenizer = Tokenizer.FromJson(HandBuilt);
        // "hello" merges all the way; " world你好" is one pre-token (space + letters) whose BPE stops at "Ġwor"+"ld"+"你好".
        Assert.Equal([11, 14, 15, 25, 26], tokenizer.Encode("hello world你好<|end|>"));
        Assert.Equal("hello world你好<|end|>", tokenizer.Decode([11, 14, 15, 25, 26]));
        Assert.Equal("hello world你好", tokenizer.Decode([11, 14, 15, 25, 26], skipSpecialTokens: true));
        Assert.Equal([24, 22], tokenizer.Encode("好你"));
    }

    [Fact]
    public void Byte_table_is_gpt2s()
    {
        Assert.Equal('Ġ', ByteLevel.ByteToChar[' ']);
        Assert.Equal('Ċ', ByteLevel.ByteToChar['\n']);
        Assert.Equal('ł', ByteLevel.ByteToChar[0xA0]);
        Assert.Equal('a', ByteLevel.ByteToChar['a']);
        Assert.Equal(256, ByteLevel.ByteToChar.Distinct().Count());
    }

    [Theory]
    [InlineData("你𠀀好 😀!", new[] { "你𠀀好", " 😀!" })]
    [InlineData("don't 123", new[] { "don", "'t", " ", "1", "2", "3" })]
    [InlineData("Hello 世界\n\n  x", new[] { "Hello", " 世界", "\n\n", " ", " x" })]
    public void Split_pattern_treats_supplementary_letters_as_letters(string text, string[] expected)
    {
        var pieces = new List<string>();
        new RegexSplitter(TinyModelWriter.QwenSplitPattern).Split(text, pieces);
        Assert.Equal(expected, pieces);
    }

    [Theory]
    [InlineData("你好，世界！今天天气很好。")]
    [InlineData("问题：下列哪一项是正确的？答案是：A")]
    [InlineData("古文字𠀀𪚥与表情😀🇨🇳，混合 English 123 text\n\t end")]
    [InlineData("<|im_start|>user\n你好<|im_end|>\n")]
    public void Tiny_tokenizer_round_trips_chinese_text(string text)
    {
        var tokenizer = Tokenizer.FromJson(TinyTokenizerBuilder.Build());
        var ids = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.True(ids.Length < System.Text.Encoding.UTF8.GetByteCount(text) || text.Contains("<|"), "merges should shorten common Chinese text");
    }

    [Fact]
    public void Special_tokens_are_matched_whole_before_bpe()
    {
        var tokenizer = Tokenizer.FromJson(TinyTokenizerBuilder.Build());
        var start = tokenizer.TokenToId("<|im_start|>")!.Value;
        var end = tokenizer.TokenToId("<|im_end|>")!.Value;
        var ids = tokenizer.Encode("<|im_start|>user\n你好<|im_end|>");
        Assert.Equal(start, ids[0]);
        Assert.Equal(end, ids[^1]);
        Assert.True(tokenizer.IsSpecial(end));
        Assert.Equal("user\n你好", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Streaming_decode_never_emits_a_broken_character()
    {
        var tokenizer = Tokenizer.FromJson(TinyTokenizerBuilder.Build());
        const string text = "你好世界𠀀😀，答案是：B";
        var decoder = new StreamingDecoder(tokenizer);
        var deltas = tokenizer.Encode(text).Select(decoder.Push).ToList();
        Assert.Equal(text, string.Concat(deltas) + decoder.Flush());
        Assert.All(deltas, d => Assert.DoesNotContain('\uFFFD', d));
        Assert.All(deltas, d => Assert.False(d.Length > 0 && char.IsHighSurrogate(d[^1]), "a delta ended inside a surrogate pair"));
        Assert.Contains("", deltas); // some token ended in the middle of a character and had to wait
    }

    [Fact]
    public void Unsupported_tokenizer_says_what_it_found()
    {
        var json = HandBuilt.Replace("\"type\": \"BPE\"", "\"type\": \"Unigram\"", StringComparison.Ordinal);
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(json, "x/tokenizer.json"));
        Assert.Contains("model.type is 'Unigram'", e.Message);
        Assert.Contains("x/tokenizer.json", e.Message);
    }

    [Fact]
    public void Chat_templates_render_chatml_and_llama3()
    {
        var qwen25 = ChatTemplate.FromTemplateText("{%- ... You are Qwen, created by Alibaba Cloud. You are a helpful assistant. ... <|im_start|> -%}", "t")!;
        Assert.Equal("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n",
            qwen25.Render([new ChatMessage("user", "你好")]));
        var qwen3 = ChatTemplate.FromTemplateText("<|im_start|> {% if enable_thinking is defined %}", "t")!;
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            qwen3.Render([new ChatMessage("system", "You are a helpful assistant."), new ChatMessage("user", "你好")]));
        var llama = ChatTemplate.FromTemplateText("<|start_header_id|>", "t")!;
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            llama.Render([new ChatMessage("user", "hi")]));
    }

    [Fact]
    public void Tokenize_text_prints_one_line_of_ids_per_input_line()
    {
        var tokenizer = Tokenizer.FromJson(HandBuilt);
        var output = new StringWriter();
        TokenizeText.Run(tokenizer, new StringReader("hello world你好\n\n好你<|end|>\n"), output);
        Assert.Equal("11 14 15 25\n\n24 22 26\n", output.ToString());
    }
}
