using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Metrics.Generation;

/// <summary>
/// sacreBLEU's <c>zh</c> tokeniser (sacrebleu <c>tokenizers/tokenizer_zh.py</c> and <c>tokenizer_re.py</c>, 2.x;
/// written from their description, not copied): strip the line, put spaces around every character in its list of CJK
/// ranges, then the regular-expression stage it shares with <c>13a</c> (split off ASCII punctuation and symbols; '.'
/// and ',' unless next to a digit; '-' after a digit), then collapse white space.
/// </summary>
/// <remarks>
/// Two behaviours of the Python original are kept on purpose so that scores agree with it:
/// its range table writes the Extension B and Compatibility Supplement bounds as <c>'\u20000'</c> and
/// <c>'\u2f800'</c>, which Python reads as two-character strings (U+2000 followed by '0'); compared with one character
/// they make the ranges U+2001–U+2A6D and U+2F81–U+2FA1. So general punctuation such as '—', '“', '”' and '…'
/// (U+2001–U+206F) is split off like a Chinese character, and characters outside the BMP never are.
/// White space is Python's <c>str.split()</c> set, which includes U+001C–U+001F beside the usual ones.
/// </remarks>
public static partial class SacreBleuZhTokenizer
{
    public const string Signature = "zh";

    private static readonly (int Low, int High)[] ChineseRanges =
    [
        (0x3400, 0x4DB5), (0x4E00, 0x9FA5), (0x9FA6, 0x9FBB), (0xF900, 0xFA2D), (0xFA30, 0xFA6A), (0xFA70, 0xFAD9),
        (0x2001, 0x2A6D), (0x2F81, 0x2FA1), (0xFF00, 0xFFEF), (0x2E80, 0x2EFF), (0x3000, 0x303F), (0x31C0, 0x31EF),
        (0x2F00, 0x2FDF), (0x2FF0, 0x2FFF), (0x3100, 0x312F), (0x31A0, 0x31BF), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F),
        (0x2600, 0x26FF), (0x2700, 0x27BF), (0x3200, 0x32FF), (0x3300, 0x33FF),
    ];

    public static string[] Tokenize(string? line)
    {
        if (string.IsNullOrEmpty(line)) return [];
        var text = StripPython(line);
        var spaced = new StringBuilder(text.Length * 2);
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsChinese(rune.Value)) spaced.Append(' ').Append(rune.ToString()).Append(' ');
            else spaced.Append(rune.ToString());
        }
        var result = Symbols().Replace(spaced.ToString(), " $1 ");
        result = PeriodCommaAfterNonDigit().Replace(result, "$1 $2 ");
        result = PeriodCommaBeforeNonDigit().Replace(result, " $1 $2");
        result = DashAfterDigit().Replace(result, "$1 $2 ");
        return SplitPython(result);
    }

    public static bool IsChinese(int codePoint)
    {
        foreach (var (low, high) in ChineseRanges)
            if (codePoint >= low && codePoint <= high) return true;
        return false;
    }

    /// <summary>Python's <c>str.isspace</c> for one UTF-16 unit (every such character is in the BMP).</summary>
    public static bool IsPythonSpace(char c) =>
        c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r' or '\x1c' or '\x1d' or '\x1e' or '\x1f' or '\x85' or '\xa0'
            or '\u1680' or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000' || c is >= '\u2000' and <= '\u200a';

    private static string StripPython(string line)
    {
        var start = 0;
        var end = line.Length;
        while (start < end && IsPythonSpace(line[start])) start++;
        while (end > start && IsPythonSpace(line[end - 1])) end--;
        return line[start..end];
    }

    private static string[] SplitPython(string text)
    {
        var tokens = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var space = i == text.Length || IsPythonSpace(text[i]);
            if (space && start >= 0) { tokens.Add(text[start..i]); start = -1; }
            else if (!space && start < 0) start = i;
        }
        return tokens.ToArray();
    }

    // The character classes of tokenizer_re.py: { | } ~, [ \ ] ^ _ `, space ! " # $ % &, ( ) * +, : ; < = > ? @, and /.
    [GeneratedRegex(@"([\{-\~\[-\` -\&\(-\+\:-\@\/])", RegexOptions.CultureInvariant)]
    private static partial Regex Symbols();

    [GeneratedRegex(@"([^0-9])([\.,])", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodCommaAfterNonDigit();

    [GeneratedRegex(@"([\.,])([^0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodCommaBeforeNonDigit();

    [GeneratedRegex(@"([0-9])(-)", RegexOptions.CultureInvariant)]
    private static partial Regex DashAfterDigit();
}
