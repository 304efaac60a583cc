using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Runner.Backends.Onnx.Tokenization;

/// <summary>
/// Splits text with a tokenizer.json Split pattern, returning the matches and the text between them (behavior "Isolated").
/// .NET's Regex works on UTF-16 code units, so <c>\p{L}</c> never matches a letter outside the Basic Multilingual Plane
/// (e.g. U+20000 𠀀), while the reference implementations match code points. Before matching, each supplementary
/// character is replaced by one BMP stand-in of the same Unicode category, so every category-based class sees the right
/// category; match boundaries are then mapped back to the original string.
/// </summary>
internal sealed class RegexSplitter(string pattern)
{
    private static readonly Dictionary<UnicodeCategory, char> s_standIns = BuildStandIns();

    private readonly Regex _regex = new(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public void Split(string text, List<string> pieces)
    {
        if (text.Length == 0) return;
        var hasSurrogates = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;
        var shadow = text;
        int[]? toOriginal = null;
        if (hasSurrogates) (shadow, toOriginal) = Shadow(text);
        var last = 0;
        for (var m = _regex.Match(shadow); m.Success; m = m.NextMatch())
        {
            if (m.Length == 0) continue;
            var start = toOriginal?[m.Index] ?? m.Index;
            var end = toOriginal?[m.Index + m.Length] ?? m.Index + m.Length;
            if (start > last) pieces.Add(text[last..start]);
            pieces.Add(text[start..end]);
            last = end;
        }
        if (last < text.Length) pieces.Add(text[last..]);
    }

    private static (string Shadow, int[] ToOriginal) Shadow(string text)
    {
        var sb = new StringBuilder(text.Length);
        var map = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length;)
        {
            map.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1]));
                sb.Append(s_standIns.GetValueOrDefault(category, s_standIns[UnicodeCategory.OtherNotAssigned]));
                i += 2;
            }
            else
            {
                // A lone surrogate is no letter, digit or space: any "other" stand-in behaves the same.
                sb.Append(char.IsSurrogate(text[i]) ? s_standIns[UnicodeCategory.OtherNotAssigned] : text[i]);
                i++;
            }
        }
        map.Add(text.Length);
        return (sb.ToString(), [.. map]);
    }

    private static Dictionary<UnicodeCategory, char> BuildStandIns()
    {
        var result = new Dictionary<UnicodeCategory, char>();
        for (var c = 0x100; c < 0xD800; c++)
        {
            var ch = (char)c;
            var category = CharUnicodeInfo.GetUnicodeCategory(ch);
            // A stand-in must not case-fold to ASCII (like U+017F ſ to s), or (?i:'s|'t…) would match it.
            if (result.ContainsKey(category) || char.ToLowerInvariant(ch) < 0x80 || char.ToUpperInvariant(ch) < 0x80 || c is 0x17F or 0x130 or 0x131 or 0x212A or 0x212B) continue;
            if (char.IsWhiteSpace(ch) || category is UnicodeCategory.Control) continue;
            result[category] = ch;
        }
        return result;
    }
}
