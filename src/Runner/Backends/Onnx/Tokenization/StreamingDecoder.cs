using System.Text;

namespace Evals.Runner.Backends.Onnx.Tokenization;

/// <summary>
/// Turns token ids into text as they arrive without ever emitting a broken character: a token may end in the middle of
/// a multi-byte UTF-8 sequence (a Chinese character is often split over two byte-level tokens), so incomplete bytes wait
/// for the next token. Bytes that can never form a character become U+FFFD, as Hugging Face's lossy decode does.
/// </summary>
public sealed class StreamingDecoder(Tokenizer tokenizer, bool skipSpecialTokens = false)
{
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private char[] _chars = new char[64];

    /// <summary>The text completed by this token (possibly empty).</summary>
    public string Push(int id)
    {
        var bytes = tokenizer.TokenBytes(id, skipSpecialTokens);
        if (bytes.Length == 0) return "";
        var needed = _decoder.GetCharCount(bytes, flush: false);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        var n = _decoder.GetChars(bytes, _chars, flush: false);
        return n == 0 ? "" : new string(_chars, 0, n);
    }

    /// <summary>Whatever is still pending, as replacement characters (the stream ended mid-character).</summary>
    public string Flush()
    {
        var n = _decoder.GetChars([], _chars, flush: true);
        return n == 0 ? "" : new string(_chars, 0, n);
    }
}
