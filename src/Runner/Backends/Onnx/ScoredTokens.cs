using System.Text;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx.Tokenization;

namespace Evals.Runner.Backends.Onnx;

/// <summary>Token ids with their log-probabilities as the completions protocol shows them: text, offset, top alternatives.</summary>
internal static class ScoredTokens
{
    /// <summary>
    /// Describes <paramref name="ids"/>[<paramref name="from"/>..]; <paramref name="scored"/>[t − 1] belongs to ids[t]. Offsets
    /// count the code points completed before a token starts, from ids[from]; a token that starts inside a multi-byte
    /// character gets that character's offset, so it counts as part of the text the character belongs to.
    /// </summary>
    public static IReadOnlyList<TokenLogprob> Describe(Tokenizer tokenizer, int[] ids, IReadOnlyList<PositionLogprobs> scored, int from)
    {
        var result = new List<TokenLogprob>(ids.Length - from);
        var pending = new List<byte>(8);
        var characters = 0;
        var names = new Dictionary<int, string>();
        string Name(int id)
        {
            if (!names.TryGetValue(id, out var name)) names[id] = name = TokenText(tokenizer.TokenBytes(id));
            return name;
        }
        for (var t = from; t < ids.Length; t++)
        {
            var offset = characters;
            pending.AddRange(tokenizer.TokenBytes(ids[t]));
            characters += CompleteCharacters(pending);
            var position = t == 0 ? null : scored[t - 1];
            var top = position is null ? [] : position.Top.Select(p => KeyValuePair.Create(Name(p.Id), p.Logprob)).ToList();
            result.Add(new TokenLogprob(Name(ids[t]), position?.Logprob, offset, top));
        }
        return result;
    }

    /// <summary>Counts and removes the whole characters at the start of <paramref name="bytes"/>; an invalid byte counts as one (U+FFFD, as decoding shows it).</summary>
    private static int CompleteCharacters(List<byte> bytes)
    {
        var span = bytes.ToArray().AsSpan();
        var count = 0;
        var used = 0;
        while (used < span.Length)
        {
            var status = Rune.DecodeFromUtf8(span[used..], out _, out var consumed);
            if (status == System.Buffers.OperationStatus.NeedMoreData) break;
            used += consumed;
            count++;
        }
        bytes.RemoveRange(0, used);
        return count;
    }

    private static string TokenText(byte[] bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : "bytes:" + string.Concat(bytes.Select(b => $"\\x{b:x2}"));
}
