using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Feedback;

/// <summary>How much of a text is Chinese: Han characters against Latin-script words (code removed).</summary>
public sealed record ScriptShare(int HanCharacters, int LatinWords)
{
    /// <summary>Han characters over Han characters plus Latin words; null when the text has neither.</summary>
    public double? ChineseShare => HanCharacters + LatinWords == 0 ? null : (double)HanCharacters / (HanCharacters + LatinWords);
}

public sealed record LanguageVerdict(bool Flagged, double? QuestionShare, double? AnswerShare, string Reason);

/// <summary>
/// The answer-language check: a Chinese question answered in English (or another Latin-script language). A Han
/// character is weighed against a whole Latin word, not a letter, since one Han character carries about a word's
/// meaning: "Python 是一种编程语言" is 7 Han to 1 word (Chinese), "Beijing is the capital of 中国" 2 to 5 (not).
/// Fenced and inline code is removed first, so a Chinese answer that is mostly code is not flagged.
/// Rule: the question is Chinese when its share is at least <see cref="ChineseQuestion"/> with at least
/// <see cref="MinHan"/> Han characters; the answer is flagged when its share is below <see cref="EnglishAnswer"/>
/// and it has at least <see cref="MinWords"/> Latin words (a bare "OK" or a number says nothing about language).
/// </summary>
public static partial class AnswerLanguage
{
    public const double ChineseQuestion = 0.5;
    public const int MinHan = 2;
    public const double EnglishAnswer = 0.3;
    public const int MinWords = 3;

    public static ScriptShare Measure(string text)
    {
        var prose = InlineCode().Replace(FencedCode().Replace(text, " "), " ");
        var han = 0;
        var words = 0;
        var inWord = false;
        foreach (var rune in prose.EnumerateRunes())
        {
            if (IsHan(rune))
            {
                han++;
                inWord = false;
            }
            else if (Rune.IsLetter(rune) && rune.Value < 0x0250)
            {
                // Latin letters (Basic Latin to Latin Extended-B); a word is a run of them.
                if (!inWord) words++;
                inWord = true;
            }
            else if (!(rune.Value == '\'' && inWord)) inWord = false;
        }
        return new ScriptShare(han, words);
    }

    public static LanguageVerdict Check(string question, string answer)
    {
        var q = Measure(question);
        var a = Measure(answer);
        if (q.ChineseShare is not { } qs || qs < ChineseQuestion || q.HanCharacters < MinHan)
            return new LanguageVerdict(false, q.ChineseShare, a.ChineseShare, "the question is not Chinese");
        if (a.ChineseShare is not { } share || a.LatinWords < MinWords)
            return new LanguageVerdict(false, qs, a.ChineseShare, "the answer has too little Latin-script text to be in another language");
        return share < EnglishAnswer
            ? new LanguageVerdict(true, qs, share, $"a Chinese question answered in a Latin-script language ({a.HanCharacters} Han characters, {a.LatinWords} Latin words)")
            : new LanguageVerdict(false, qs, share, "answered in Chinese");
    }

    private static bool IsHan(Rune rune) =>
        rune.Value is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2EBEF or >= 0xF900 and <= 0xFAFF;

    [GeneratedRegex(@"```.*?(```|$)", RegexOptions.Singleline)]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();
}
