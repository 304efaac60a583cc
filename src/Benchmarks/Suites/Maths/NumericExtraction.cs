using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Suites.Maths;

/// <summary>The final number of a worked answer and the rule that found it; <see cref="Value"/> is null when none was found.</summary>
public sealed record NumericExtractionResult(NumericValue? Value, string Rule);

/// <summary>
/// Finds the final answer of a chain-of-thought reply to a math problem. Rules, first that finds a number wins:
/// <list type="number">
/// <item><c>boxed</c>: the last <c>\boxed{…}</c>;</item>
/// <item><c>hashes</c>: the line after the last <c>####</c> (GSM8K's answer mark);</item>
/// <item><c>answer_phrase</c>: the last 答案是/答案为/答案：/最终答案/答： that has a number after it;</item>
/// <item><c>conclusion</c>: the last 所以/因此/综上 that has a number after it;</item>
/// <item><c>last_number</c>: the last number written in digits, leaving out years (2023年), ordinals (第3) and step
/// markers at a line's start (1. / 2、) and numbers ruled out (答案不是5);</item>
/// <item>else <c>no_number</c> (unparseable) — or <c>empty</c>, or <c>unfinished_think</c> when a &lt;think&gt; block never closes.</item>
/// </list>
/// After a phrase, the answer is read up to the end of its sentence (。！？; or a line's end; a following line when the
/// phrase ends its own): the first number after the last <c>=</c> or <c>≈</c> there (所以 3×5=15 → 15), else the first
/// number (答案是15元，共3人 → 15). Numbers in digits win over Chinese numerals in the same stretch (三角形的面积是12 →
/// 12), and Chinese numerals count only inside such a stretch, never as the last number of the reply.
/// Text after a closed &lt;think&gt; block is the answer; the reasoning counts only when that has no number.
/// </summary>
public static partial class NumericExtraction
{
    [GeneratedRegex(@"\\(?:boxed|fbox)\s*\{")]
    private static partial Regex Boxed();

    [GeneratedRegex(@"####")]
    private static partial Regex Hashes();

    [GeneratedRegex(@"(?:最终答案|答案)(?!\s*(?:不|并非))\s*(?:应该是|应为|就是|是|为)?\s*[:：]?|(?<![问解])答\s*[:：]")]
    private static partial Regex AnswerPhrase();

    [GeneratedRegex(@"答案\s*(?:不是|不为|并非|不可能是)")]
    private static partial Regex NegatedAnswer();

    [GeneratedRegex(@"所以|因此|综上所述|综上|于是")]
    private static partial Regex Conclusion();

    [GeneratedRegex(@"[。！？!?;；\n]|\.(?!\d)")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^(?:(?:19|20)\d{2}年|\d+(?:[.)）]\s|、))")]
    private static partial Regex NotAnAnswer();

    public static NumericExtractionResult Extract(string output)
    {
        var text = NumberScanner.Normalise(output).Trim();
        if (text.Length == 0) return new NumericExtractionResult(null, "empty");
        var close = text.LastIndexOf("</think>", StringComparison.OrdinalIgnoreCase);
        if (close < 0)
            return text.StartsWith("<think>", StringComparison.OrdinalIgnoreCase) ? new NumericExtractionResult(null, "unfinished_think") : Read(text);
        var answer = Read(text[(close + "</think>".Length)..]);
        if (answer.Value is not null) return answer;
        var open = text.IndexOf("<think>", StringComparison.OrdinalIgnoreCase);
        var inThink = Read(text[(open >= 0 && open < close ? open + "<think>".Length : 0)..close]);
        return inThink.Value is not null ? inThink with { Rule = inThink.Rule + "_in_think" } : answer;
    }

    private static NumericExtractionResult Read(string text)
    {
        var mentions = NumberScanner.Scan(text);
        if (mentions.Count == 0) return new NumericExtractionResult(null, "no_number");

        var boxes = Boxed().Matches(text);
        for (var b = boxes.Count - 1; b >= 0; b--)
        {
            var start = boxes[b].Index + boxes[b].Length;
            var end = ClosingBrace(text, start);
            if (Pick(text, mentions, start, end) is { } boxed) return new NumericExtractionResult(boxed, "boxed");
        }
        foreach (var (phrase, rule) in new[] { (Hashes(), "hashes"), (AnswerPhrase(), "answer_phrase"), (Conclusion(), "conclusion") })
        {
            var matches = phrase.Matches(text);
            for (var i = matches.Count - 1; i >= 0; i--)
            {
                var start = matches[i].Index + matches[i].Length;
                if (Pick(text, mentions, start, StretchEnd(text, start)) is { } value) return new NumericExtractionResult(value, rule);
            }
        }
        // 答案不是5 rules 5 out; it must not come back as the last number.
        var ruledOut = NegatedAnswer().Matches(text).Select(m => (Start: m.Index, End: StretchEnd(text, m.Index + m.Length))).ToList();
        var last = mentions.LastOrDefault(m => !m.Chinese && !IsExcluded(text, m) && !ruledOut.Any(r => m.Index >= r.Start && m.End <= r.End));
        return last is null ? new NumericExtractionResult(null, "no_number") : new NumericExtractionResult(last.Value, "last_number");
    }

    /// <summary>The answer in text[start..end): the first number after the last = or ≈, else the first; digits over Chinese numerals.</summary>
    private static NumericValue? Pick(string text, List<NumberMention> mentions, int start, int end)
    {
        var inside = mentions.Where(m => m.Index >= start && m.End <= end).ToList();
        if (inside.Any(m => !m.Chinese)) inside = inside.Where(m => !m.Chinese).ToList();
        if (inside.Count == 0) return null;
        var equals = text.AsSpan(start, end - start).LastIndexOfAny('=', '≈');
        if (equals >= 0)
        {
            var after = inside.FirstOrDefault(m => m.Index > start + equals);
            if (after is not null) return after.Value;
        }
        return inside[0].Value;
    }

    /// <summary>Where the sentence after a phrase ends; when the phrase ends its line (答案：⏎ 18), the next non-blank line.</summary>
    private static int StretchEnd(string text, int start)
    {
        var from = start;
        var lineEnd = text.IndexOf('\n', start);
        if (lineEnd >= 0 && text.AsSpan(start, lineEnd - start).Trim().Length == 0)
        {
            from = lineEnd + 1;
            while (from < text.Length && char.IsWhiteSpace(text[from])) from++;
        }
        var end = SentenceEnd().Match(text, from);
        return end.Success ? end.Index : text.Length;
    }

    private static int ClosingBrace(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{') depth++;
            else if (text[i] == '}' && --depth == 0) return i;
        }
        return text.Length;
    }

    private static bool IsExcluded(string text, NumberMention mention)
    {
        if (NotAnAnswer().IsMatch(text.AsSpan(mention.Index))) // a year, or a step marker at the start of a line
        {
            var isYear = text[mention.Index..].Length > 4 && text[mention.Index + 4] == '年';
            var lineStart = mention.Index == 0 || text[..mention.Index].TrimEnd(' ', '\t').EndsWith('\n');
            if (isYear || lineStart) return true;
        }
        return mention.Index > 0 && text[mention.Index - 1] == '第';
    }
}
