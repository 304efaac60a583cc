using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Suites.Maths;

/// <summary>One number found in a text: where it stands in the normalised text and what it reads as.</summary>
/// <param name="Chinese">Written in Chinese numerals (read only where no number in digits competes).</param>
public sealed record NumberMention(int Index, int Length, NumericValue Value, bool Chinese)
{
    public int End => Index + Length;
}

/// <summary>
/// Finds the numbers in a model's answer. <see cref="Normalise"/> first rewrites the text so one pattern reads it:
/// full-width digits and signs to ASCII, <c>\frac{a}{b}</c> (and \dfrac, \tfrac) to <c>a/b</c>, <c>\%</c> to <c>%</c>,
/// LaTeX's <c>{,}</c> thousands separator to a comma. A comma joins digits as a thousands separator only when exactly
/// three digits follow it and no space does (<c>1,234</c>; <c>1, 2</c> and <c>1,2,3</c> are lists). A minus is a sign
/// only where no digit, letter or closing bracket stands before it (<c>10-3</c> is a subtraction). 50% and 1.5万 keep
/// their written figure as a second reading (<see cref="NumericValue.AsWritten"/>); 3/4, 四分之三 and 百分之五十 are
/// fractions; Chinese numerals as <see cref="ChineseNumerals"/> reads them.
/// </summary>
public static partial class NumberScanner
{
    [GeneratedRegex(@"(?<sign>(?<![0-9A-Za-z)）\]]\s*)-\s?|负)?(?<![0-9.A-Za-z_])(?<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?<dec>\d+))?(?:/(?<den>\d+(?:\.\d+)?)(?![\d.]))?(?<pct>%)?(?<mult>万|亿)?")]
    private static partial Regex Arabic();

    private const string ChineseNumber = "[0-9零〇一二两三四五六七八九十百千万亿]+(?:[.点][0-9零〇一二三四五六七八九]+)?";

    [GeneratedRegex(@"(?<sign>负)?(?<den>" + ChineseNumber + ")分之(?<num>" + ChineseNumber + ")")]
    private static partial Regex ChineseFraction();

    // 千 before 克/米/瓦 is the kilo of a unit (两千克 = 2 kg), not a thousand.
    [GeneratedRegex(@"(?<sign>负)?(?<n>(?:[零〇一二两三四五六七八九十百万亿]|千(?![克米瓦]))+(?:点[零〇一二三四五六七八九]+)?)")]
    private static partial Regex ChineseNumeral();

    [GeneratedRegex(@"\\[dt]?frac\s*\{\s*(-?\d+(?:\.\d+)?)\s*\}\s*\{\s*(\d+(?:\.\d+)?)\s*\}")]
    private static partial Regex LatexFraction();

    /// <summary>Words that begin with a numeral character but are not numbers (一共 = altogether, 十分 = very, 三角形 = triangle).</summary>
    [GeneratedRegex(@"^(?:一(?=[共些起定样般直旦切同边半下会])|十分(?!之)|万一|千万|[一二三四五六七八九十两](?=角形|边形|角星|位数|成))")]
    private static partial Regex NotANumber();

    public static string Normalise(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
            builder.Append(c switch
            {
                >= '０' and <= '９' => (char)('0' + (c - '０')),
                '．' => '.',
                '％' => '%',
                '／' => '/',
                '－' or '−' or '﹣' => '-',
                '＝' => '=',
                _ => c,
            });
        var normalised = builder.ToString().Replace(@"\%", "%", StringComparison.Ordinal).Replace("{,}", ",", StringComparison.Ordinal);
        return LatexFraction().Replace(normalised, "$1/$2");
    }

    /// <summary>Every number in an already <see cref="Normalise">normalised</see> text, in text order.</summary>
    public static List<NumberMention> Scan(string text)
    {
        var found = new List<NumberMention>();
        var taken = new bool[text.Length];
        void Add(NumberMention mention)
        {
            for (var i = mention.Index; i < mention.End; i++) if (taken[i]) return;
            for (var i = mention.Index; i < mention.End; i++) taken[i] = true;
            found.Add(mention);
        }

        // Fractions in words first, so that 四分之三 is not read as 4 and 3.
        foreach (Match m in ChineseFraction().Matches(text))
            if (ReadChineseFraction(m) is { } fraction) Add(new NumberMention(m.Index, m.Length, fraction, !m.Value.Any(char.IsAsciiDigit)));
        foreach (Match m in Arabic().Matches(text))
            Add(new NumberMention(m.Index, m.Length, ReadArabic(m), false));
        foreach (Match m in ChineseNumeral().Matches(text))
        {
            var start = m.Groups["n"].Index;
            if (start > 0 && text[start - 1] == '第') continue;
            if (NotANumber().IsMatch(text.AsSpan(start))) continue;
            if (ChineseNumerals.Parse(m.Groups["n"].Value) is not { } value) continue;
            var negative = m.Groups["sign"].Success;
            var text0 = value.ToString(CultureInfo.InvariantCulture);
            Add(new NumberMention(m.Index, m.Length,
                new NumericValue(negative ? -value : value, null, (negative ? "-" : "") + text0, !m.Value.Contains('点')), true));
        }
        found.Sort((a, b) => a.Index.CompareTo(b.Index));
        return found;
    }

    /// <summary>The whole text as one number (a gold answer such as <c>2,125</c>, <c>2/6</c>, <c>12%</c>), or null.</summary>
    public static NumericValue? ParseWhole(string text)
    {
        var normalised = Normalise(text.Trim());
        var mentions = Scan(normalised);
        return mentions is [var only] && only.Index == 0 && only.Length == normalised.Length ? only.Value : null;
    }

    private static NumericValue ReadArabic(Match m)
    {
        var negative = m.Groups["sign"].Success;
        var whole = m.Groups["int"].Value.Replace(",", "", StringComparison.Ordinal);
        var written = m.Groups["dec"].Success ? $"{whole}.{m.Groups["dec"].Value}" : whole;
        var value = double.Parse(written, CultureInfo.InvariantCulture);
        var isInteger = !m.Groups["dec"].Success;
        if (m.Groups["den"].Success)
        {
            var denominator = double.Parse(m.Groups["den"].Value, CultureInfo.InvariantCulture);
            written = $"{written}/{m.Groups["den"].Value}";
            value = denominator == 0 ? double.NaN : value / denominator;
            isInteger = false;
        }
        if (negative)
        {
            value = -value;
            written = "-" + written;
        }
        double? asWritten = null;
        if (m.Groups["pct"].Success)
        {
            asWritten = value;
            value /= 100;
            written += "%";
            isInteger = false;
        }
        else if (m.Groups["mult"].Success)
        {
            asWritten = value;
            value *= m.Groups["mult"].Value == "万" ? 10_000 : 100_000_000;
            written += m.Groups["mult"].Value;
            isInteger = false;
        }
        return new NumericValue(value, asWritten, written, isInteger);
    }

    private static NumericValue? ReadChineseFraction(Match m)
    {
        // 百 alone is no number by the grammar (一百 is), but in 百分之 it is the hundred of a percentage.
        var den = m.Groups["den"].Value;
        if ((den == "百" ? 100 : ReadPart(den)) is not { } denominator || ReadPart(m.Groups["num"].Value) is not { } numerator || denominator == 0) return null;
        var sign = m.Groups["sign"].Success ? -1 : 1;
        var num = numerator.ToString(CultureInfo.InvariantCulture);
        if (denominator == 100) // 百分之五十: a percentage
            return new NumericValue(sign * numerator / 100, sign * numerator, (sign < 0 ? "-" : "") + num + "%", false);
        return new NumericValue(sign * numerator / denominator, null,
            $"{(sign < 0 ? "-" : "")}{num}/{denominator.ToString(CultureInfo.InvariantCulture)}", false);
    }

    private static double? ReadPart(string part) =>
        double.TryParse(part, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) ? number : ChineseNumerals.Parse(part);
}
