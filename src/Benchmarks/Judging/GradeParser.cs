using System.Globalization;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Judging;

/// <summary>
/// Reads the rating out of a single-grading judge's reply, as each benchmark's own script does, plus the forms its
/// prompt shows. A reply with no rating, or a rating outside 1–10, gives null: the item is <c>unjudged</c>, never a pass.
/// The official scripts would keep an out-of-range number (FastChat reads whatever stands in <c>[[…]]</c>); a judge that
/// grades 15 on a 1–10 scale did not follow its prompt, so we do not trust the number (docs/judged.md).
/// </summary>
public static partial class GradeParser
{
    public const double Min = 1;
    public const double Max = 10;
    public const string OverallKey = "综合得分";

    public static JudgeGrade? Parse(string style, string? reply) => style switch
    {
        JudgePromptStyles.AlignBench => ParseAlignBench(reply),
        JudgePromptStyles.MtBench or JudgePromptStyles.MtBenchZh => ParseMtBench(reply),
        _ => throw new ArgumentException($"unknown judge prompt style '{style}'", nameof(style)),
    };

    /// <summary>
    /// AlignBench (<c>judge.py</c> <c>post_process</c>): the last <c>{…}</c> of the reply, its <c>'key': number</c> pairs
    /// (the dimension ratings), the grade its <c>综合得分</c>; else <c>'综合得分': n</c> anywhere; else (our addition, the
    /// way judges often write it in prose) a last <c>综合得分：n</c> or <c>综合得分: n</c>. The official regex reads integer
    /// pairs only; we read decimals too (<c>7.5</c>), and double quotes as well as single ones (a JSON-minded judge).
    /// </summary>
    public static JudgeGrade? ParseAlignBench(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return null;
        var dimensions = new Dictionary<string, double>(StringComparer.Ordinal);
        double? overall = null;
        var form = "dict";
        if (LastBraces().Match(reply) is { Success: true } braces)
        {
            foreach (Match pair in QuotedPair().Matches(braces.Groups[1].Value))
            {
                var value = Number(pair.Groups["value"].Value);
                if (value is null) continue;
                var key = pair.Groups["key"].Value.Trim();
                if (key == OverallKey) overall = value;
                else dimensions[key] = value.Value;
            }
        }
        if (overall is null && QuotedOverall().Match(reply) is { Success: true } quoted)
        {
            overall = Number(quoted.Groups["value"].Value);
            form = "quoted_overall";
        }
        if (overall is null && ProseOverall().Matches(reply) is { Count: > 0 } prose)
        {
            overall = Number(prose[^1].Groups["value"].Value);
            form = "prose_overall";
        }
        return overall is { } score && InRange(score) ? new JudgeGrade(score, dimensions, form) : null;
    }

    /// <summary>
    /// FastChat (<c>common.py</c> <c>run_judge_single</c>): the first <c>[[n]]</c> (<c>Rating: [[8]]</c>, <c>[[8.5]]</c>),
    /// else the first <c>[n]</c>.
    /// </summary>
    public static JudgeGrade? ParseMtBench(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return null;
        var (match, form) = DoubleBrackets().Match(reply) is { Success: true } two ? (two, "double_brackets")
            : SingleBrackets().Match(reply) is { Success: true } one ? (one, "single_brackets") : (null, "");
        if (match is null || Number(match.Groups["value"].Value) is not { } score || !InRange(score)) return null;
        return new JudgeGrade(score, new Dictionary<string, double>(), form);
    }

    private static bool InRange(double score) => score is >= Min and <= Max;

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;

    // AlignBench: r'{(.*?)}(?![^{]*{)' — the last brace pair (no '{' after it).
    [GeneratedRegex(@"\{([^{}]*)\}(?![^{]*\{)", RegexOptions.Singleline)]
    private static partial Regex LastBraces();

    [GeneratedRegex(@"['""](?<key>[^'""]+?)['""]\s*[:：]\s*(?<value>\d+(?:\.\d+)?)")]
    private static partial Regex QuotedPair();

    [GeneratedRegex(@"['""]综合得分['""]\s*[:：]\s*(?<value>\d+(?:\.\d{1,2})?)")]
    private static partial Regex QuotedOverall();

    [GeneratedRegex(@"综合得分\s*(?:为|是)?\s*[:：]?\s*(?<value>\d+(?:\.\d+)?)\s*(?:分|/\s*10)?")]
    private static partial Regex ProseOverall();

    // FastChat: r"\[\[(\d+\.?\d*)\]\]" then r"\[(\d+\.?\d*)\]".
    [GeneratedRegex(@"\[\[(?<value>\d+\.?\d*)\]\]")]
    private static partial Regex DoubleBrackets();

    [GeneratedRegex(@"\[(?<value>\d+\.?\d*)\]")]
    private static partial Regex SingleBrackets();
}
