using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Tests.Extraction;

/// <summary>
/// A comparator written from C-Eval's zero-shot answer-only extraction, <c>ChatGPT_Evaluator.extract_ans</c>
/// (hkust-nlp/ceval, code/evaluator_series/evaluators/chatgpt.py), for measuring agreement only. Its documented
/// behaviour: the caller strips the response and scores an empty one wrong; if the first character is A–D that is the
/// answer; otherwise the first of its patterns (^选X, ^选项X, 答案是/为/应为/选/是:/应该是:/为:/应为:/: X with an
/// optional 选项, 正确的一项是X, each with ASCII and full-width colons) that has any match gives all its matches, and the
/// last one is the answer. Letters A–D only, upper case, no negation, no option texts.
/// </summary>
public static class CEvalExtractAns
{
    private static readonly string[] Patterns =
    [
        "^选([A-D])", "^选项([A-D])", @"答案是\s?选?项?\s?([A-D])", @"答案为\s?选?项?\s?([A-D])", @"答案应为\s?选?项?\s?([A-D])",
        @"答案选\s?选?项?\s?([A-D])", @"答案是:\s?选?项?\s?([A-D])", @"答案应该是:\s?选?项?\s?([A-D])", @"正确的一项是\s?([A-D])",
        @"答案为:\s?选?项?\s?([A-D])", @"答案应为:\s?选?项?\s?([A-D])", @"答案:\s?选?项?\s?([A-D])", @"答案是：\s?选?项?\s?([A-D])",
        @"答案应该是：\s?选?项?\s?([A-D])", @"答案为：\s?选?项?\s?([A-D])", @"答案应为：\s?选?项?\s?([A-D])", @"答案：\s?选?项?\s?([A-D])",
    ];

    public static string? Extract(string response)
    {
        response = response.Trim();
        if (response.Length == 0) return null;
        if (response[0] is 'A' or 'B' or 'C' or 'D') return response[..1];
        foreach (var pattern in Patterns)
        {
            var matches = Regex.Matches(response, pattern);
            if (matches.Count > 0) return matches[^1].Groups[1].Value;
        }
        return null;
    }
}
