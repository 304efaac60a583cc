using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// What a chat model's answer to a choice question picked, and which rule decided it (stored with the result so that a
/// reader can audit every extraction). <see cref="Choice"/> is null when nothing could be extracted (outcome
/// unparseable) or the model declined (<see cref="Refused"/>, outcome refused).
/// </summary>
public sealed record Extraction(int? Choice, string Rule, bool Refused = false);

/// <summary>
/// Answer extraction for generation mode. The output and the options are NFKC-normalised first, so full-width letters
/// (Ｂ), brackets （） and colons ： read as their ASCII forms. Rules, first that applies wins:
/// <list type="number">
/// <item><c>letter_only</c> / <c>exact</c>: the whole answer is one option (B, (B), B。, "相同").</item>
/// <item><c>explicit</c>: a conclusion phrase — 答案是B, 正确答案：B, 选B, 应选择C, B项正确, 正确的是D; the last one counts
/// (explanations come before the conclusion); two letters in one conclusion, or conflicting conclusions with hedging
/// words (可能, 或者, 不确定 …), are <c>hedged</c> and unparseable.</item>
/// <item><c>choice_text_exact</c>: the whole answer is an option's text without its letter.</item>
/// <item><c>refusal</c>: 抱歉，我无法…, 不能回答, 作为AI我不能…, a content-policy notice: outcome refused.</item>
/// <item><c>leading_letter</c> (B. …, B、…), <c>bracketed</c> (one distinct （B）), <c>choice_text</c> (exactly one option's
/// text appears), <c>single_letter</c> (exactly one distinct standalone letter).</item>
/// <item>Otherwise unparseable: <c>ambiguous</c> (several letters, no conclusion), <c>hedged</c>, <c>no_answer</c>, <c>empty</c>.</item>
/// </list>
/// A wrong guess is never substituted for an unparseable answer: the outcome says what happened.
/// </summary>
public static partial class AnswerExtraction
{
    /// <param name="continuations">What the model may answer: letters A… (multiple choice) or words (labels, options as text).</param>
    /// <param name="optionTexts">For letter answers, the options' texts, so that an answer giving the text without its letter counts.</param>
    public static Extraction Extract(string output, IReadOnlyList<string> continuations, IReadOnlyList<string>? optionTexts = null)
    {
        var text = Normalise(output);
        if (text.Length == 0) return new Extraction(null, "empty");
        var normalised = continuations.Select(Normalise).ToList();
        var letters = normalised.Count is > 0 and <= 26 && normalised.Select((c, i) => c.Length == 1 && c[0] == 'A' + i).All(b => b);
        return letters
            ? FromLetters(text, normalised.Count, optionTexts?.Select(Normalise).ToList())
            : FromWords(text, normalised);
    }

    private static Extraction FromLetters(string text, int count, List<string>? options)
    {
        var last = (char)('A' + count - 1);
        int? Index(char c) => c >= 'A' && c <= last ? c - 'A' : null;

        if (LetterOnly().Match(text) is { Success: true } only && Index(only.Groups[1].Value[0]) is { } single)
            return new Extraction(single, "letter_only");

        var conclusions = new List<(int At, List<int> Letters)>();
        // Each conclusion pattern needs its keyword; testing for it first skips most regex scans (perf/ImportScoring).
        foreach (var (keywords, regex) in Conclusions)
        {
            if (!keywords.Any(k => text.Contains(k, StringComparison.Ordinal))) continue;
            foreach (Match m in regex.Matches(text))
            {
                var picked = LetterInGroup().Matches(m.Groups["l"].Value).Select(l => Index(l.Value[0])).OfType<int>().Distinct().ToList();
                if (picked.Count > 0) conclusions.Add((m.Index, picked));
            }
        }
        if (conclusions.Count > 0)
        {
            var final = conclusions.OrderBy(c => c.At).Last();
            if (final.Letters.Count > 1) return new Extraction(null, "hedged");
            var distinct = conclusions.SelectMany(c => c.Letters).Distinct().Count();
            if (distinct > 1 && Hedge().IsMatch(text)) return new Extraction(null, "hedged");
            return new Extraction(final.Letters[0], "explicit");
        }

        var trimmed = TrimAnswer(text);
        if (options is not null && options.FindIndex(o => o.Length > 0 && TrimAnswer(o) == trimmed) is >= 0 and var exact)
            return new Extraction(exact, "choice_text_exact");
        if (Refusal().IsMatch(text)) return new Extraction(null, "refusal", Refused: true);

        if (LeadingLetter().Match(text) is { Success: true } lead && Index(lead.Groups[1].Value[0]) is { } leading)
            return new Extraction(leading, "leading_letter");
        var bracketed = Bracketed().Matches(text).Select(m => Index(m.Groups[1].Value[0])).OfType<int>().Distinct().ToList();
        if (bracketed.Count == 1) return new Extraction(bracketed[0], "bracketed");
        if (options is not null && Mentioned(text, options) is { Count: 1 } named) return new Extraction(named[0], "choice_text");
        var standalone = Standalone().Matches(text).Select(m => Index(m.Value[0])).OfType<int>().Distinct().ToList();
        return standalone.Count switch
        {
            1 => new Extraction(standalone[0], "single_letter"),
            > 1 => new Extraction(null, Hedge().IsMatch(text) ? "hedged" : "ambiguous"),
            _ => new Extraction(null, "no_answer"),
        };
    }

    private static Extraction FromWords(string text, List<string> words)
    {
        var trimmed = TrimAnswer(text);
        if (words.FindIndex(w => w == trimmed) is >= 0 and var exact) return new Extraction(exact, "exact");

        // A conclusion phrase followed by one of the words: the last such phrase counts.
        var conclusions = AnswerPrefix().Matches(text)
            .Select(m => (m.Index, Word: LongestAt(text, m.Index + m.Length, words))).Where(c => c.Word is not null).ToList();
        if (conclusions.Count > 0) return new Extraction(conclusions[^1].Word, "explicit");
        if (Refusal().IsMatch(text)) return new Extraction(null, "refusal", Refused: true);

        var mentioned = Mentioned(text, words);
        return mentioned.Count switch
        {
            1 => new Extraction(mentioned[0], "mention"),
            > 1 when Hedge().IsMatch(text) => new Extraction(null, "hedged"),
            > 1 => new Extraction(mentioned[0], "first_mention"),
            _ => new Extraction(null, "no_answer"),
        };
    }

    /// <summary>
    /// The options whose text occurs in <paramref name="text"/>, earliest first; an occurrence inside a longer option's
    /// occurrence ("相同" inside "不相同" when both are options) does not count.
    /// </summary>
    private static List<int> Mentioned(string text, List<string> options)
    {
        var hits = new List<(int Option, int At, int Length)>();
        for (var i = 0; i < options.Count; i++)
        {
            if (options[i].Length == 0) continue;
            for (var at = text.IndexOf(options[i], StringComparison.Ordinal); at >= 0; at = text.IndexOf(options[i], at + 1, StringComparison.Ordinal))
                hits.Add((i, at, options[i].Length));
        }
        var kept = hits.Where(h => !hits.Any(o => o.Length > h.Length && o.At <= h.At && o.At + o.Length >= h.At + h.Length));
        return kept.OrderBy(h => h.At).Select(h => h.Option).Distinct().ToList();
    }

    private static int? LongestAt(string text, int at, List<string> words)
    {
        while (at < text.Length && (char.IsWhiteSpace(text[at]) || text[at] is '"' or '“' or '「' or '\'' or '《')) at++;
        int? best = null;
        for (var i = 0; i < words.Count; i++)
            if (words[i].Length > 0 && string.CompareOrdinal(text, at, words[i], 0, words[i].Length) == 0 && (best is null || words[i].Length > words[best.Value].Length))
                best = i;
        return best;
    }

    private static readonly (string[] Keywords, Regex Regex)[] Conclusions =
        [(["答案"], AnswerIs()), (["选"], Choose()), (["正确", "对"], LetterIsRight()), (["正确"], RightIs())];

    private static string Normalise(string s) => (s.IsNormalized(NormalizationForm.FormKC) ? s : s.Normalize(NormalizationForm.FormKC)).Trim();

    private static string TrimAnswer(string s) => s.Trim().Trim('。', '.', '!', '！', '"', '“', '”', '「', '」', '\'', ' ', '《', '》');

    [GeneratedRegex(@"^\s*[\(\[【]?\s*([A-Z])\s*[\)\]】]?\s*(?:选项|项)?\s*[\.。:、,!]?\s*$")]
    private static partial Regex LetterOnly();

    // 答案是B, 正确答案: B, 答案应该是 (C), 答案为B或C (hedged: the group holds two letters).
    [GeneratedRegex(@"答案\s*(?:应该|应当|应|可能|大概|也许|就|即|只能|一定)?\s*(?:是|为|选)?\s*:?\s*(?:选项)?\s*[\(\[【]?\s*(?<l>(?<![A-Za-z])[A-Z](?![A-Za-z])(?:\s*[\)\]】]?\s*(?:或者|或|和|与|及|/|、)\s*(?:选项)?\s*[\(\[【]?\s*[A-Z](?![A-Za-z]))*)")]
    private static partial Regex AnswerIs();

    // 选B, 应选择C, 故选D, 我选 A; not 不选A, not 选项A (that names an option under discussion).
    [GeneratedRegex(@"(?<!不|不能|不应|别)选(?:择)?(?!项)\s*[\(\[【]?\s*(?<l>(?<![A-Za-z])[A-Z](?![A-Za-z])(?:\s*[\)\]】]?\s*(?:或者|或|和|/)\s*[\(\[【]?\s*[A-Z](?![A-Za-z]))*)")]
    private static partial Regex Choose();

    // B项正确, C选项是正确的, D是对的; 不正确 does not match.
    [GeneratedRegex(@"(?<![A-Za-z])(?<l>[A-Z])(?![A-Za-z])\s*[\)\]】]?\s*(?:选项|项)?\s*(?:是|为)?\s*(?:正确|对)(?:的)?(?:答案|选项)?")]
    private static partial Regex LetterIsRight();

    // 正确的是B, 正确选项为C, 正确的一项是A.
    [GeneratedRegex(@"正确(?:的)?(?:选项|一项|答案|项)?\s*(?:(?:是|为)\s*:?|:)\s*(?:选项)?\s*[\(\[【]?\s*(?<l>(?<![A-Za-z])[A-Z](?![A-Za-z]))")]
    private static partial Regex RightIs();

    [GeneratedRegex(@"[A-Z]")]
    private static partial Regex LetterInGroup();

    [GeneratedRegex(@"^\s*[\(\[【]?\s*([A-Z])\s*(?:[\)\]】]|[\.、:,]|\s+)")]
    private static partial Regex LeadingLetter();

    [GeneratedRegex(@"[\(\[【]\s*([A-Z])\s*[\)\]】]")]
    private static partial Regex Bracketed();

    [GeneratedRegex(@"(?<![A-Za-z])[A-Z](?![A-Za-z])")]
    private static partial Regex Standalone();

    [GeneratedRegex(@"(?:正确)?答案\s*(?:应该|应当|应|就|即)?\s*(?:(?:是|为)\s*:?|:)\s*")]
    private static partial Regex AnswerPrefix();

    [GeneratedRegex(@"可能|也许|或者|不确定|不太确定|无法确定|拿不准|不好说|都有可能|大概")]
    private static partial Regex Hedge();

    [GeneratedRegex(@"(?:抱歉|对不起|很遗憾|不好意思)[^。!?\n]{0,30}(?:无法|不能|不便|不可以)|(?:无法|不能|不便|不宜|不可以)(?:为你|为您)?(?:回答|作答|提供|回复|协助|讨论|评论|帮助)|拒绝回答|敏感(?:话题|内容|信息|问题)|内容安全|违反(?:相关)?(?:法律|规定|政策|使用)|(?:作为|我是)(?:一个)?(?:AI|人工智能|语言模型)[^。\n]{0,30}(?:无法|不能)|inappropriate content|content (?:filter|policy)", RegexOptions.IgnoreCase)]
    private static partial Regex Refusal();
}
