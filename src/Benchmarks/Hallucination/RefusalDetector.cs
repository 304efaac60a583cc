using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Hallucination;

/// <summary>
/// Whether an answer declines or says that the answer cannot be known: what an unanswerable question should get
/// (HalluQA's own few-shot prompt answers "香蕉的平方根是多少？" with "这个问题无法回答。"). Chinese and English phrases,
/// after NFKC normalisation:
/// <list type="bullet">
/// <item>not knowing: 我不知道, 我不清楚, 不得而知, 无从得知, 无法得知/知道/确定/预测/回答/判断/考证, 没有人知道, 尚无定论, 目前还不清楚,
/// 没有确切(的)答案/记载/定论, 这个问题无法回答; I don't know, I do not know, nobody knows, no one knows, it is unknown,
/// cannot (be) know(n)/determine(d)/predict(ed)/answer(ed), there is no (definitive|definite|certain) answer, I'm not sure, unclear;</item>
/// <item>declining: 抱歉…无法/不能, 拒绝回答, 作为(一个)AI/人工智能/语言模型…无法/不能 … ; I can't help with, I cannot provide, as an AI.</item>
/// </list>
/// A phrase anywhere in the answer counts: "这个问题无法回答，因为…" is a refusal even with an explanation after it.
/// </summary>
public static partial class RefusalDetector
{
    public static bool IsRefusal(string? answer)
    {
        if (string.IsNullOrWhiteSpace(answer)) return false;
        var text = answer.Normalize(NormalizationForm.FormKC);
        return Chinese().IsMatch(text) || English().IsMatch(text);
    }

    [GeneratedRegex(@"我(?:并|也|真的)?(?:不|不太)(?:知道|清楚|确定)|不得而知|无从(?:得知|知晓|考证|判断)|(?:无法|不能|没法|难以|不可能)(?:准确|确切|确定地|具体)?(?:得知|知道|确定|预测|预知|回答|判断|考证|给出(?:确切|准确|具体)?(?:的)?答案)|没有人(?:能)?知道|尚无定论|(?:目前|现在)(?:还|仍|尚)?(?:不|无法)(?:清楚|确定|知道)|没有(?:确切|明确|准确|统一)的?(?:答案|记载|定论|说法|数据)|问题(?:无法|不能|没有办法)回答|(?:抱歉|对不起|很遗憾)[^。!?\n]{0,30}(?:无法|不能|不便)|拒绝回答|(?:作为|我是)(?:一个)?(?:AI|人工智能|语言模型|AI助手)[^。\n]{0,30}(?:无法|不能|没有)")]
    private static partial Regex Chinese();

    [GeneratedRegex(@"\bI (?:do not|don't|dont) know\b|\b(?:nobody|no one|no-one) (?:knows|can know)\b|\b(?:it is|it's) (?:unknown|impossible to (?:know|say|predict|determine))\b|\b(?:can ?not|can't|cannot) (?:be )?(?:know|known|determine|determined|predict|predicted|answer|answered|say)\b|\bthere is no (?:definitive|definite|certain|known|clear) answer\b|\bI(?:'m| am) not (?:sure|certain)\b|\bI (?:can't|cannot|can not|won't) (?:help|provide|assist)\b|\bas an AI\b",
        RegexOptions.IgnoreCase)]
    private static partial Regex English();
}
