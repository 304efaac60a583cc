using System.Text;

namespace Evals.Storage.Text;

/// <summary>
/// The one rule for text that reaches PostgreSQL, which cannot store U+0000 in <c>text</c> or <c>jsonb</c> (SQLSTATE
/// 22021 / 22P05) and whose UTF-8 encoding has no place for a lone UTF-16 surrogate:
/// <list type="bullet">
/// <item>Text a person or a client sends (arena prompts, feedback events, imported items, run requests) is
/// <b>refused</b>: <see cref="Problem"/> names what is wrong and the caller answers 400 (or exit 2) naming the field.</item>
/// <item>Text a model produces (outputs, judge replies, provider errors, cached responses) is <b>kept, escaped</b>:
/// each U+0000 becomes U+2400 (␀, SYMBOL FOR NULL) and each lone surrogate U+FFFD, and the result says so
/// (<c>details.text_escaped</c>), so no answer is lost.</item>
/// <item>The writers (<c>ResultWriter</c>, <c>FeedbackWriter</c>, the response cache, EF's string columns) escape
/// whatever still reaches them, so a missed check costs a visible ␀, never a failed batch or a 500.</item>
/// </list>
/// </summary>
public static class StoredText
{
    public const char NulReplacement = '\u2400';

    /// <summary>Null when the text can be stored as it is; otherwise what is wrong with it.</summary>
    public static string? Problem(string? text)
    {
        if (text is null) return null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return $"contains U+0000 (NUL) at character {i}, which cannot be stored";
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(c)) return $"contains a lone UTF-16 surrogate (U+{(int)c:X4}) at character {i}, which is not valid Unicode";
        }
        return null;
    }

    public static bool NeedsEscaping(string? text) => Problem(text) is not null;

    /// <summary>The text with NUL as ␀ and lone surrogates as U+FFFD; the same instance when nothing needs escaping.</summary>
    public static string Escape(string text)
    {
        if (!NeedsEscaping(text)) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') sb.Append(NulReplacement);
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) sb.Append(c).Append(text[++i]);
            else if (char.IsSurrogate(c)) sb.Append('\uFFFD');
            else sb.Append(c);
        }
        return sb.ToString();
    }

    public static string? EscapeNullable(string? text) => text is null ? null : Escape(text);

    /// <summary>
    /// JSON text for a <c>jsonb</c> column: a <c>\u0000</c> escape becomes <c>\u2400</c> and an escaped lone surrogate
    /// <c>\uFFFD</c> (jsonb refuses both), raw NUL characters ␀. Escaped backslashes (<c>\\u0000</c>, the six characters
    /// of a literal) are left alone.
    /// </summary>
    public static string EscapeJson(string json)
    {
        if (!json.Contains("\\u", StringComparison.OrdinalIgnoreCase) && json.IndexOf('\0') < 0 && !NeedsEscaping(json)) return json;
        var sb = new StringBuilder(json.Length);
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (c == '\\' && i + 1 < json.Length)
            {
                if (json[i + 1] == 'u' && i + 5 < json.Length && TryHex(json, i + 2, out var code))
                {
                    if (code == 0) { sb.Append("\\u2400"); i += 5; continue; }
                    if (code is >= 0xD800 and <= 0xDBFF && i + 11 < json.Length && json[i + 6] == '\\' && json[i + 7] == 'u' && TryHex(json, i + 8, out var low)
                        && low is >= 0xDC00 and <= 0xDFFF)
                    {
                        sb.Append(json, i, 12); i += 11; continue;
                    }
                    if (code is >= 0xD800 and <= 0xDFFF) { sb.Append("\\uFFFD"); i += 5; continue; }
                    sb.Append(json, i, 6); i += 5; continue;
                }
                sb.Append(c).Append(json[++i]);
                continue;
            }
            if (c == '\0') sb.Append(NulReplacement);
            else if (char.IsHighSurrogate(c) && i + 1 < json.Length && char.IsLowSurrogate(json[i + 1])) sb.Append(c).Append(json[++i]);
            else if (char.IsSurrogate(c)) sb.Append('\uFFFD');
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool TryHex(string s, int start, out int value)
    {
        value = 0;
        if (start + 4 > s.Length) return false;
        for (var k = start; k < start + 4; k++)
        {
            var d = s[k] switch { >= '0' and <= '9' => s[k] - '0', >= 'a' and <= 'f' => s[k] - 'a' + 10, >= 'A' and <= 'F' => s[k] - 'A' + 10, _ => -1 };
            if (d < 0) return false;
            value = value * 16 + d;
        }
        return true;
    }
}
