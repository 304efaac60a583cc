using System.Globalization;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Judging;

/// <summary>
/// Reads a pairwise judge's verdict; null (the item is <c>unjudged</c>) when the reply carries none.
/// <list type="bullet">
/// <item>FastChat (MT-Bench <c>pair-v2</c>, <c>pair-math-v1</c> and their multi-turn forms, and this repo's
/// <see cref="PairwiseJudgePrompt"/>): <c>[[A]]</c>, <c>[[B]]</c>, <c>[[C]]</c> = tie, checked in that order as
/// FastChat's <c>play_a_match_pair</c> does; and the two-score form <c>[[8, 6]]</c> (or <c>[8, 6]</c>) of its
/// <c>[[rating_a,rating_b]]</c> prompts, a tie when the scores differ by at most 0.1 (FastChat's <c>TIE_DELTA</c>).</item>
/// <item>AlpacaEval 1.0 (<c>alpaca_eval_gpt4</c>): a line that begins with <c>Output (a)</c> or <c>Output (b)</c>
/// (the first such line decides); AlpacaEval 2.0's classifier form (<c>alpaca_eval_clf_gpt4_turbo</c>): the whole
/// reply is <c>m</c> (the first output) or <c>M</c> (the second).</item>
/// <item>PRD's three-class review (<c>prd_vicuna80_pairwise</c>): the last non-empty line is <c>1</c>, <c>2</c> or <c>3</c> = tie.</item>
/// </list>
/// </summary>
public static partial class PairwiseVerdictParser
{
    /// <summary>How close two scores of the two-score form may be and still be a tie (FastChat's <c>TIE_DELTA</c>).</summary>
    public const double TieDelta = 0.1;

    public static PairwiseVerdict? Parse(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return null;
        return FastChat(reply) ?? AlpacaEval(reply) ?? ThreeClass(reply);
    }

    public static PairwiseVerdict? FastChat(string reply)
    {
        if (reply.Contains("[[A]]", StringComparison.Ordinal)) return PairwiseVerdict.A;
        if (reply.Contains("[[B]]", StringComparison.Ordinal)) return PairwiseVerdict.B;
        if (reply.Contains("[[C]]", StringComparison.Ordinal)) return PairwiseVerdict.Tie;
        var match = TwoScores().Match(reply);
        if (!match.Success) match = TwoScoresSingle().Match(reply);
        if (!match.Success) return null;
        var a = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var b = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        if (Math.Abs(a - b) <= TieDelta) return PairwiseVerdict.Tie;
        return a > b ? PairwiseVerdict.A : PairwiseVerdict.B;
    }

    public static PairwiseVerdict? AlpacaEval(string reply)
    {
        var match = OutputLine().Match(reply);
        if (match.Success) return match.Groups[1].Value == "a" ? PairwiseVerdict.A : PairwiseVerdict.B;
        return reply.Trim() switch
        {
            "m" => PairwiseVerdict.A,
            "M" => PairwiseVerdict.B,
            _ => null,
        };
    }

    public static PairwiseVerdict? ThreeClass(string reply)
    {
        var last = reply.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
        return last switch
        {
            "1" => PairwiseVerdict.A,
            "2" => PairwiseVerdict.B,
            "3" => PairwiseVerdict.Tie,
            _ => null,
        };
    }

    [GeneratedRegex(@"\[\[(\d+\.?\d*),\s?(\d+\.?\d*)\]\]")]
    private static partial Regex TwoScores();

    [GeneratedRegex(@"\[(\d+\.?\d*),\s?(\d+\.?\d*)\]")]
    private static partial Regex TwoScoresSingle();

    [GeneratedRegex(@"(?:^|\n) ?Output \((a|b)\)")]
    private static partial Regex OutputLine();
}
