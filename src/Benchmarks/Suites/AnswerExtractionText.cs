using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// How <see cref="AnswerExtraction"/> reads text before its rules run: NFKC (full-width letters, colons and brackets
/// become ASCII), the Traditional characters of answer phrasing mapped to Simplified (選→选, 確→确 …; the options are
/// mapped the same way, so 合歡山 still matches 合歡山), every bracket style read as ( ), and markdown/LaTeX wrappers
/// (**B**, `B`, $B$, \boxed{B}) removed.
/// </summary>
public static partial class AnswerExtraction
{
    // Traditional → Simplified for the characters that answer phrases, refusals, hedges and label words use. A full
    // converter (OpenCC) is not needed: only the rules' vocabulary must read alike, and options are mapped identically.
    private const string TraditionalPairs =
        "選选確确應应該该為为對对錯错誤误項项個个這这題题擇择餘余無无認认覺觉們们說说與与結结論论綜综歡欢關关係系蘊蕴" +
        "負负傾倾評评兩两話话義义斷断際际間间後后還还麼么嗎吗將将讓让實实會会據据謂谓劃划灣湾國国華华憲宪陽阳東东" +
        "雖虽僅仅參参幾几種种協协內内規规違违適适當当問问請请語语號号點点陳陈從从樣样則则經经過过計计簡简單单來来" +
        "場场發发現现體体線线綠绿爾尔統统記记憶忆歷历條条區区錄录總总裡里學学習习見见長长車车門门書书產产開开聽听" +
        "電电時时齊齐韓韩趙赵燕燕楚楚魏魏滅灭漢汉劉刘豐丰歲岁處处氣气島岛嶼屿縣县鄉乡鎮镇難难猶犹豫豫態态願愿謝谢" +
        "歉歉擔担憂忧慮虑準准嗯嗯剩剩確确拋抛棄弃誰谁並并沒没儘尽盡尽曉晓";

    private static readonly FrozenDictionary<char, char> Simplified = BuildSimplified();

    // Everything Normalise rewrites; most options and many outputs contain none of it and skip the rewrite (perf/ImportScoring).
    private static readonly SearchValues<char> Rewritten = SearchValues.Create([.. Simplified.Keys, .. "*`#_【〔[「『《〖】〕]」』》〗\r\\$~"]);

    private static FrozenDictionary<char, char> BuildSimplified()
    {
        var map = new Dictionary<char, char>();
        for (var i = 0; i + 1 < TraditionalPairs.Length; i += 2)
            if (TraditionalPairs[i] != TraditionalPairs[i + 1]) map.TryAdd(TraditionalPairs[i], TraditionalPairs[i + 1]);
        return map.ToFrozenDictionary();
    }

    /// <summary>NFKC, Traditional→Simplified for the rules' vocabulary, one bracket style, no markdown wrappers.</summary>
    internal static string Normalise(string s)
    {
        if (!s.IsNormalized(NormalizationForm.FormKC)) s = s.Normalize(NormalizationForm.FormKC);
        if (!s.AsSpan().ContainsAny(Rewritten)) return s.Trim();
        if (s.Contains('\\') || s.Contains('$')) s = Latex().Replace(s, "$1").Replace("$", "");
        if (s.Contains("~~", StringComparison.Ordinal)) s = Struck().Replace(s, " "); // ~~A~~ B: the struck-out answer is withdrawn
        var b = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            switch (c)
            {
                case '*' or '`' or '#' or '_': continue; // markdown emphasis, code and headers
                case '【' or '〔' or '[' or '「' or '『' or '《' or '〖': b.Append('('); break;
                case '】' or '〕' or ']' or '」' or '』' or '》' or '〗': b.Append(')'); break;
                case '\r': break;
                default: b.Append(Simplified.TryGetValue(c, out var simple) ? simple : c); break;
            }
        }
        return b.ToString().Trim();
    }

    private static string TrimAnswer(string s) => s.Trim().Trim('。', '.', '!', '"', '“', '”', '\'', ' ', '(', ')', '\n', ',', ';');

    [GeneratedRegex(@"~~[^~\n]*~~")]
    private static partial Regex Struck();

    [GeneratedRegex(@"\\(?:boxed|text|mathrm|textbf|mathbf)\s*\{([^{}]*)\}")]
    private static partial Regex Latex();
}
