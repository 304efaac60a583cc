using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Ratings;

/// <summary>
/// The categories of a battle's prompt, for per-category leaderboards. Rules of our own, defined in docs/arena.md:
/// language by script share (<see cref="Chinese"/>, <see cref="English"/>, <see cref="Mixed"/>), <see cref="Code"/>,
/// <see cref="Math"/>, <see cref="CreativeWriting"/>, <see cref="LongPrompt"/>, <see cref="MultiTurn"/>, plus the prompt
/// bank's own category as <c>bank:NAME</c>. A prompt can be in several categories.
/// </summary>
public static partial class PromptCategories
{
    public const string Chinese = "chinese";
    public const string English = "english";
    public const string Mixed = "mixed";
    public const string Code = "code";
    public const string Math = "math";
    public const string CreativeWriting = "creative_writing";
    public const string LongPrompt = "long_prompt";
    public const string MultiTurn = "multi_turn";

    /// <summary>The rule-based categories, in this order (the bank's come after).</summary>
    public static readonly IReadOnlyList<string> Rules = [Chinese, English, Mixed, Code, Math, CreativeWriting, LongPrompt, MultiTurn];

    /// <summary>Han characters' share of (Han characters + Latin words) at or above which a prompt is Chinese.</summary>
    public const double ChineseShare = 0.7;

    /// <summary>The share at or below which a prompt is English.</summary>
    public const double EnglishShare = 0.3;

    /// <summary>User-turn tokens (counted as <see cref="AnswerStyle.Measure(string)"/> counts them) from which a prompt is long.</summary>
    public const int LongPromptTokens = 500;

    private static readonly Dictionary<string, string[]> Interned = new(StringComparer.Ordinal);

    /// <summary>The categories of a prompt given as its user turns (one for a single-turn battle).</summary>
    public static IReadOnlyList<string> Of(IReadOnlyList<string> userTurns, string? bankCategory = null)
    {
        var text = string.Join("\n", userTurns);
        var found = new List<string>(4);
        var (han, latinWords) = (0, 0);
        var inWord = false;
        foreach (var c in text)
        {
            if (c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF') han++;
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z')
            {
                if (!inWord) latinWords++;
                inWord = true;
            }
            else inWord = false;
        }
        if (han + latinWords > 0)
        {
            var share = (double)han / (han + latinWords);
            found.Add(share >= ChineseShare ? Chinese : share <= EnglishShare ? English : Mixed);
        }
        if (CodeFence().IsMatch(text) || CodeWords().IsMatch(text)) found.Add(Code);
        if (MathWords().IsMatch(text) || Arithmetic().IsMatch(text)) found.Add(Math);
        if (WritingWords().IsMatch(text)) found.Add(CreativeWriting);
        if (AnswerStyle.Measure(text).Tokens >= LongPromptTokens) found.Add(LongPrompt);
        if (userTurns.Count > 1) found.Add(MultiTurn);
        if (!string.IsNullOrWhiteSpace(bankCategory)) found.Add("bank:" + bankCategory.Trim());
        return Intern(found);
    }

    /// <summary>Categories from a battle file's <c>language</c> field alone (when it carries no conversation).</summary>
    public static IReadOnlyList<string> OfLanguage(string language) => Intern(language switch
    {
        "Chinese" => [Chinese],
        "English" => [English],
        _ => [],
    });

    /// <summary>One shared array per distinct set, so millions of battles share a handful of lists.</summary>
    private static string[] Intern(List<string> categories)
    {
        var key = string.Join("|", categories);
        lock (Interned)
        {
            if (!Interned.TryGetValue(key, out var shared)) Interned[key] = shared = [.. categories];
            return shared;
        }
    }

    [GeneratedRegex("```")]
    private static partial Regex CodeFence();

    [GeneratedRegex(@"代码|编程|程序|脚本|正则表达式|报错|调试|算法|接口|\b(?:python|java|javascript|typescript|c\+\+|c#|golang|rust|sql|html|css|bash|regex|code|coding|program|debug|compile|function|class|api)\b|#include|def \w+\(", RegexOptions.IgnoreCase)]
    private static partial Regex CodeWords();

    [GeneratedRegex(@"计算|求解|解方程|方程|证明|概率|积分|导数|几何|三角形|面积|体积|数列|余数|最大公约数|数学|\b(?:solve|equation|integral|derivative|probability|prove|math)\b|\\frac|\\sqrt", RegexOptions.IgnoreCase)]
    private static partial Regex MathWords();

    [GeneratedRegex(@"\d+(?:\.\d+)?\s*[+*×÷^=]\s*\d+|\d+\s+[-/]\s+\d+")]
    private static partial Regex Arithmetic();

    [GeneratedRegex(@"写一首|写首|写一篇|写篇|写一个.{0,6}故事|故事|小说|诗歌|现代诗|古诗|作文|剧本|歌词|散文|续写|创作|文案|\b(?:poem|story|lyrics|novel|fiction|screenplay)\b", RegexOptions.IgnoreCase)]
    private static partial Regex WritingWords();
}
