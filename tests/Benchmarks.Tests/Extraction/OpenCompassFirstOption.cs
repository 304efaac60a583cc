using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Tests.Extraction;

/// <summary>
/// A comparator written from OpenCompass's <c>first_option_postprocess(text, options, cushion=True)</c>
/// (opencompass/utils/text_postprocessors.py), for measuring agreement only. Its documented behaviour: strip the text,
/// try an ordered list of patterns (Chinese conclusion phrases, English "the answer is", line-final letters, then the
/// "cushion" patterns that take any option letter at all), searching each with DOTALL; the first pattern that matches
/// gives group 1 (or the whole match when group 1 is empty), and the answer is the first letter of <c>options</c>, in
/// the order of <c>options</c>, that occurs in that string; when none occurs the next pattern is tried; nothing → "".
/// Its quirks are kept on purpose, because they are how it scores: the pattern list has a missing comma, so
/// <c>故选?\s*([X])</c> and <c>只有选?项?\s?([X])\s?是?对</c> form one pattern; upper-case letters only; no negation,
/// no think blocks, no option texts.
/// </summary>
public static class OpenCompassFirstOption
{
    public static string? Extract(string text, string options)
    {
        var o = options;
        string[] patterns =
        [
            $@"答案是?\s*([{o}])", $@"答案是?\s*：\s*([{o}])", $@"答案是?\s*:\s*([{o}])",
            $@"答案选项应?该?是\s*([{o}])", $@"答案选项应?该?为\s*([{o}])", $@"答案应该?是\s*([{o}])", $@"答案应该?选\s*([{o}])",
            $@"答案选项为?\s*：\s*([{o}])", $@"答案选项为?\s+\(?\*?\*?([{o}])\*?\*?\)?", $@"答案选项是?\s*:\s*([{o}])",
            $@"答案为\s*([{o}])", $@"答案选\s*([{o}])", $@"选择?\s*([{o}])",
            $@"故选?\s*([{o}])只有选?项?\s?([{o}])\s?是?对", // the upstream list's missing comma joins these two
            $@"只有选?项?\s?([{o}])\s?是?错", $@"只有选?项?\s?([{o}])\s?不?正确", $@"只有选?项?\s?([{o}])\s?错误",
            $@"说法不?对选?项?的?是\s?([{o}])", $@"说法不?正确选?项?的?是\s?([{o}])", $@"说法错误选?项?的?是\s?([{o}])",
            $@"([{o}])\s?是正确的", $@"([{o}])\s?是正确答案", $@"选项\s?([{o}])\s?正确", $@"所以答\s?([{o}])",
            $@"所以\s?([{o}][.。$]?$)", $@"所有\s?([{o}][.。$]?$)", $@"[\s，：:,]([{o}])[。，,\.]?$", $@"[\s，,：:][故即]([{o}])[。\.]?$",
            $@"[\s，,：:]因此([{o}])[。\.]?$", $@"[是为。]\s?([{o}])[。\.]?$", $@"因此\s?([{o}])[。\.]?$", $@"显然\s?([{o}])[。\.]?$",
            @"答案是\s?(\S+)(?:。|$)", @"答案应该是\s?(\S+)(?:。|$)", @"答案为\s?(\S+)(?:。|$)",
            $@"(?i)ANSWER\s*:\s*([{o}])", $@"[Tt]he answer is:?\s+\(?([{o}])\)?", $@"[Tt]he answer is:?\s+\(?\*?\*?([{o}])\*?\*?\)?",
            $@"[Tt]he answer is option:?\s+\(?([{o}])\)?", $@"[Tt]he correct answer is:?\s+\(?([{o}])\)?",
            $@"[Tt]he correct answer is option:?\s+\(?([{o}])\)?", $@"[Tt]he correct answer is:?.*?boxed{{([{o}])}}",
            $@"[Tt]he correct option is:?.*?boxed{{([{o}])}}", $@"[Tt]he correct answer option is:?.*?boxed{{([{o}])}}",
            $@"[Tt]he answer to the question is:?\s+\(?([{o}])\)?", $@"^选项\s?([{o}])", $@"^([{o}])\s?选?项",
            $@"(\s|^)[{o}][\s。，,：:\.$]", @"1.\s?(.*?)$", $@"1.\s?([{o}])[.。$]?$",
            // cushion patterns
            $@"([{o}]):", $@"([{o}])",
        ];
        text = text.Trim();
        foreach (var pattern in patterns)
        {
            var match = Regex.Match(text, pattern, RegexOptions.Singleline);
            if (!match.Success) continue;
            var outputs = match.Groups[1].Success && match.Groups[1].Value.Length > 0 ? match.Groups[1].Value : match.Value;
            foreach (var letter in options)
                if (outputs.Contains(letter)) return letter.ToString();
        }
        return null;
    }
}
