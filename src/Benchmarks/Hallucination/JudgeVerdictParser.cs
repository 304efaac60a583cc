using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Hallucination;

/// <summary>
/// Reads a judge's output. Accepted, after NFKC normalisation (full-width colons read as ASCII):
/// <list type="bullet">
/// <item>the last line of the form <c>结论：有幻觉</c> / <c>结论：无幻觉</c> (also <c>没有幻觉</c>, <c>不存在幻觉</c>,
/// <c>存在幻觉</c>, <c>是</c>/<c>否</c> after the label; labels 结论, 判断, 判定, 答案, Verdict) — explanations come first, the
/// conclusion last;</item>
/// <item>an output that is only 是 or 否 (HalluQA's official judge answers "是否存在幻觉" with exactly that), or only
/// <c>hallucinated</c> / <c>not hallucinated</c>.</item>
/// </list>
/// Anything else is null: the item is unjudged, never counted as a pass.
/// </summary>
public static partial class JudgeVerdictParser
{
    public static JudgeVerdict? Parse(string? judgeOutput)
    {
        if (string.IsNullOrWhiteSpace(judgeOutput)) return null;
        var text = judgeOutput.Normalize(NormalizationForm.FormKC).Trim();
        var whole = Word(text.Trim('。', '.', '!', '！', '"', '“', '”', '*', ' '));
        if (whole is not null) return whole;

        JudgeVerdict? last = null;
        foreach (Match match in LabelledVerdict().Matches(text))
            last = Word(match.Groups["verdict"].Value);
        return last;
    }

    private static JudgeVerdict? Word(string word) => word.ToLowerInvariant() switch
    {
        "有幻觉" or "存在幻觉" or "是" or "hallucinated" or "yes" => JudgeVerdict.Hallucinated,
        "无幻觉" or "没有幻觉" or "不存在幻觉" or "否" or "not hallucinated" or "no" => JudgeVerdict.NotHallucinated,
        _ => null,
    };

    // The verdict must end its line (after optional punctuation or markdown), so "结论：有幻觉的可能性不大" is not read.
    [GeneratedRegex(@"(?:^|\n)[\s*#>-]*(?:结论|判断|判定|答案|最终结论|verdict)[\s*]*:[\s*]*(?<verdict>有幻觉|存在幻觉|无幻觉|没有幻觉|不存在幻觉|是|否|not hallucinated|hallucinated)[\s*。.!！]*(?=\n|$)",
        RegexOptions.IgnoreCase)]
    private static partial Regex LabelledVerdict();
}
