using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Ratings;

/// <summary>
/// The style of one answer as Chatbot Arena's style control counts it (FastChat <c>conv_metadata</c>:
/// <c>sum_assistant_*_tokens</c>, <c>header_count_*</c>, <c>list_count_*</c>, <c>bold_count_*</c>, each dictionary summed).
/// </summary>
/// <param name="Tokens">Length of the answer in tokens (see <see cref="Measure"/> for ours).</param>
/// <param name="Headers">Markdown headers <c># </c> to <c>###### </c> at a line start.</param>
/// <param name="Lists">List items, ordered (<c>1. </c>) and unordered (<c>- </c>, <c>* </c>, <c>+ </c>).</param>
/// <param name="Bold">Bold spans, <c>**…**</c> and <c>__…__</c> on one line.</param>
public sealed partial record AnswerStyle(int Tokens, int Headers, int Lists, int Bold)
{
    /// <summary>
    /// Counts an answer's style. Markdown elements follow FastChat's <c>add_markdown_info.py</c>: fenced code blocks are
    /// removed first, then headers, list items and bold spans are counted by its regular expressions. FastChat's token
    /// count comes from the tiktoken tokenizer, which we do not ship; ours counts each CJK character (Han, kana, Hangul),
    /// each run of letters or digits, and each other visible character as one token. Style control only uses
    /// (a − b) / (a + b + 1) of two answers' counts, so the tokenizer's scale largely cancels.
    /// </summary>
    public static AnswerStyle Measure(string answer)
    {
        var text = CodeBlock().Replace(answer, "");
        return new AnswerStyle(
            CountTokens(answer),
            Header().Count(text),
            OrderedItem().Count(text) + UnorderedItem().Count(text),
            BoldStars().Count(text) + BoldUnderscores().Count(text));
    }

    /// <summary>Each answer of a multi-turn battle counts once; FastChat sums the assistant turns the same way.</summary>
    public static AnswerStyle Measure(IEnumerable<string> answers) => Measure(string.Join("\n", answers));

    private static int CountTokens(string text)
    {
        var tokens = 0;
        var inWord = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                inWord = false;
                continue;
            }
            if (IsCjk(rune.Value))
            {
                tokens++;
                inWord = false;
            }
            else if (Rune.IsLetterOrDigit(rune))
            {
                if (!inWord) tokens++;
                inWord = true;
            }
            else
            {
                tokens++;
                inWord = false;
            }
        }
        return tokens;
    }

    private static bool IsCjk(int c) =>
        c is >= 0x3040 and <= 0x30FF // kana
        or >= 0x3400 and <= 0x4DBF // CJK extension A
        or >= 0x4E00 and <= 0x9FFF // CJK unified ideographs
        or >= 0xAC00 and <= 0xD7AF // Hangul syllables
        or >= 0xF900 and <= 0xFAFF // compatibility ideographs
        or >= 0x20000 and <= 0x3134F; // extensions B–G

    [GeneratedRegex("```[^`]*```")]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"^#{1,6}\s", RegexOptions.Multiline)]
    private static partial Regex Header();

    [GeneratedRegex(@"^\s*\d+\.\s", RegexOptions.Multiline)]
    private static partial Regex OrderedItem();

    [GeneratedRegex(@"^\s*[-*+]\s", RegexOptions.Multiline)]
    private static partial Regex UnorderedItem();

    [GeneratedRegex(@"\*\*[^*\n]+\*\*")]
    private static partial Regex BoldStars();

    [GeneratedRegex(@"__[^_\n]+__")]
    private static partial Regex BoldUnderscores();
}
