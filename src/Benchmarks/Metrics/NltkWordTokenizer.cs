using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Metrics;

/// <summary>
/// NLTK's <c>word_tokenize(text)</c> (language "english", <c>preserve_line=False</c>) as NLTK 3.8.1 defines it
/// (nltk/nltk, <c>nltk/tokenize/__init__.py</c> and <c>destructive.py</c>; re-implemented from its rules, not copied):
/// the text is split into sentences by Punkt (<see cref="PunktSentenceSplitter"/>), then each sentence goes through
/// <c>NLTKWordTokenizer</c>, the improved Penn Treebank tokenizer, in its order:
/// <list type="number">
/// <item>starting quotes: « “ ‘ „ and runs of backticks become tokens; a leading <c>"</c> becomes <c>``</c>; <c>"</c> or
/// <c>''</c> after a space or an opening bracket becomes <c>``</c>; <c>'x</c> is split unless it starts a clitic
/// (<c>'re 've 'll 'm 't 's 'd 'n</c>);</item>
/// <item>punctuation: a sentence-final period (with closing quotes after it) is split off; <c>: ,</c> unless a digit
/// follows (so 1,000 and 3:15 stay whole); runs of two or more periods; <c>; @ # $ % &amp;</c>; <c>? !</c>; a quote
/// before a space; <c>*</c>;</item>
/// <item>brackets <c>[ ] ( ) { } &lt; &gt;</c> and <c>--</c> are padded;</item>
/// <item>ending quotes: » ” ’, <c>''</c> and <c>"</c> (as <c>''</c>), then the clitics <c>'s 'm 'd '</c> and
/// <c>'ll 're 've n't</c> before a space ("don't" → do n't, "it's" → it 's);</item>
/// <item>MacIntyre's contractions: cannot, d'ye, gimme, gonna, gotta, lemme, more'n, wanna; 'tis, 'twas;</item>
/// <item>split on white space.</item>
/// </list>
/// Python's Unicode classes are kept where .NET's differ: <c>\w</c> is letters, every number category and <c>_</c>
/// (not combining marks or other connector punctuation), <c>\s</c> and <c>str.split()</c> also count U+001C–U+001F.
/// </summary>
public static partial class NltkWordTokenizer
{
    /// <summary>Python 3's <c>\w</c> for str patterns: <c>str.isalnum()</c> or underscore.</summary>
    internal const string PyWord = @"[\p{L}\p{N}_]";

    /// <summary>Python 3's <c>\s</c> for str patterns: <c>str.isspace()</c>.</summary>
    internal const string PySpace = @"[\s\x1c-\x1f]";

    internal const string PyNotSpace = @"[^\s\x1c-\x1f]";

    private const string WordStart = "(?<!" + PyWord + ")(?=" + PyWord + ")";
    private const string WordEnd = "(?<=" + PyWord + ")(?!" + PyWord + ")";

    private static readonly (Regex Pattern, string Replacement)[] StartingQuotes =
    [
        (new Regex("([«“‘„]|[`]+)"), " $1 "),
        (new Regex("^\""), "``"),
        (new Regex("(``)"), " $1 "),
        (new Regex("([ ([{<])(\"|'{2})"), "$1 `` "),
        // (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b: a word character right after the quote, at the end of a word
        (new Regex("(?i)(')(?!re|ve|ll|m|t|s|d|n)(" + PyWord + ")(?!" + PyWord + ")"), "$1 $2"),
    ];

    private static readonly (Regex Pattern, string Replacement)[] Punctuation =
    [
        (new Regex("([^.])(\\.)([\\])}>\"'»”’ ]*)" + PySpace + "*$"), "$1 $2 $3 "),
        (new Regex(@"([:,])([^\d])"), " $1 $2"),
        (new Regex("([:,])$"), " $1 "),
        (new Regex(@"\.{2,}"), " $0 "),
        (new Regex("[;@#$%&]"), " $0 "),
        (new Regex("([^.])(\\.)([\\])}>\"']*)" + PySpace + "*$"), "$1 $2$3 "),
        (new Regex("[?!]"), " $0 "),
        (new Regex("([^'])' "), "$1 ' "),
        (new Regex("[*]"), " $0 "),
    ];

    private static readonly (Regex Pattern, string Replacement) ParensBrackets = (new Regex(@"[\]\[(){}<>]"), " $0 ");

    private static readonly (Regex Pattern, string Replacement) DoubleDashes = (new Regex("--"), " -- ");

    private static readonly (Regex Pattern, string Replacement)[] EndingQuotes =
    [
        (new Regex("([»”’])"), " $1 "),
        (new Regex("''"), " '' "),
        (new Regex("\""), " '' "),
        (new Regex("([^' ])('[sS]|'[mM]|'[dD]|') "), "$1 $2 "),
        (new Regex("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), "$1 $2 "),
    ];

    private static readonly Regex[] Contractions =
    [
        new("(?i)" + WordStart + "(can)(not)" + WordEnd),
        new("(?i)" + WordStart + "(d)('ye)" + WordEnd),
        new("(?i)" + WordStart + "(gim)(me)" + WordEnd),
        new("(?i)" + WordStart + "(gon)(na)" + WordEnd),
        new("(?i)" + WordStart + "(got)(ta)" + WordEnd),
        new("(?i)" + WordStart + "(lem)(me)" + WordEnd),
        new("(?i)" + WordStart + "(more)('n)" + WordEnd),
        new("(?i)" + WordStart + "(wan)(na)(?=" + PySpace + ")"),
        new("(?i) ('t)(is)" + WordEnd),
        new("(?i) ('t)(was)" + WordEnd),
    ];

    [GeneratedRegex(PyNotSpace + "+")]
    private static partial Regex PyToken();

    /// <summary><c>nltk.word_tokenize(text)</c>: Punkt sentences, each tokenized by <see cref="TokenizeSentence"/>.</summary>
    public static List<string> WordTokenize(string text)
    {
        var tokens = new List<string>();
        foreach (var sentence in PunktSentenceSplitter.Split(text)) tokens.AddRange(TokenizeSentence(sentence));
        return tokens;
    }

    /// <summary><c>NLTKWordTokenizer().tokenize(sentence)</c> (without <c>convert_parentheses</c>).</summary>
    public static List<string> TokenizeSentence(string sentence)
    {
        var text = sentence;
        foreach (var (pattern, replacement) in StartingQuotes) text = pattern.Replace(text, replacement);
        foreach (var (pattern, replacement) in Punctuation) text = pattern.Replace(text, replacement);
        text = ParensBrackets.Pattern.Replace(text, ParensBrackets.Replacement);
        text = DoubleDashes.Pattern.Replace(text, DoubleDashes.Replacement);
        text = " " + text + " ";
        foreach (var (pattern, replacement) in EndingQuotes) text = pattern.Replace(text, replacement);
        foreach (var pattern in Contractions) text = pattern.Replace(text, " $1 $2 ");
        return PyToken().Matches(text).Select(m => m.Value).ToList();
    }

    /// <summary>Python's <c>str.isspace()</c> for one UTF-16 unit (every Python space is in the BMP).</summary>
    internal static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    /// <summary>Python 3's <c>str.strip()</c> without arguments.</summary>
    internal static string PythonStrip(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsPythonSpace(text[start])) start++;
        while (end > start && IsPythonSpace(text[end - 1])) end--;
        return text[start..end];
    }

    /// <summary>
    /// Python 3's <c>str.lower()</c>: full Unicode lower-casing. It differs from .NET's <c>ToLowerInvariant</c> in two
    /// places: İ (U+0130) becomes "i̇" (two code points), and a capital sigma at the end of a word becomes ς. Other code
    /// points take their simple lower-case mapping, as both do (up to the two runtimes' Unicode versions).
    /// </summary>
    internal static string PythonLower(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            var c = text[i];
            if (char.IsSurrogatePair(text, i))
                result.Append(Rune.ToLowerInvariant(new Rune(c, text[i + 1])).ToString());
            else if (c == '\u0130') result.Append("i\u0307");
            else if (c == '\u03A3') result.Append(IsFinalSigma(text, i) ? 'ς' : 'σ');
            else result.Append(char.ToLowerInvariant(c));
        }
        return result.ToString();
    }

    // Unicode's Final_Sigma condition as CPython applies it: a cased letter before (skipping case-ignorable characters)
    // and none after.
    private static bool IsFinalSigma(string text, int at)
    {
        var before = at - 1;
        while (before >= 0 && IsCaseIgnorable(text[before])) before--;
        if (before < 0 || !IsCased(text[before])) return false;
        var after = at + 1;
        while (after < text.Length && IsCaseIgnorable(text[after])) after++;
        return after == text.Length || !IsCased(text[after]);
    }

    private static bool IsCased(char c) => char.GetUnicodeCategory(c) is
        System.Globalization.UnicodeCategory.UppercaseLetter or System.Globalization.UnicodeCategory.LowercaseLetter
        or System.Globalization.UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(char c) => c is '\'' or '.' or ':' or '^' or '`' or '\u00B7' or '\u2018' or '\u2019' or '\u2024' or '\u2027'
        || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark
            or System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.Format
            or System.Globalization.UnicodeCategory.ModifierLetter or System.Globalization.UnicodeCategory.ModifierSymbol;
}
