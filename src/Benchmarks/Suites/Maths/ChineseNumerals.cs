namespace Evals.Benchmarks.Suites.Maths;

/// <summary>
/// Chinese numerals read only where their value is unambiguous: 三百二十五, 两千零五, 十二, 一万零八百, 三点五. Left
/// unread (null): digit strings without place words (二〇二三, 一二, a year or a code), and colloquial abbreviations
/// whose last digit's place is implied (三百五 is 350 in speech but 305 by the grammar).
/// </summary>
public static class ChineseNumerals
{
    public const string Digits = "零〇一二两三四五六七八九";
    public const string Places = "十百千万亿";

    public static bool IsNumeral(char c) => Digits.Contains(c) || Places.Contains(c);

    public static long? ParseInteger(string text)
    {
        if (text.Length == 0) return null;
        long total = 0, section = 0;
        int? digit = null;
        var lastPlace = long.MaxValue; // places inside a section must fall: 三百二十, not 三十二百
        var afterPlace = false;        // a digit straight after 百/千/万/亿 with no 零 would be a colloquial abbreviation
        var zero = false;
        foreach (var c in text)
        {
            var d = DigitOf(c);
            if (d == 0)
            {
                if (digit is not null) return null;
                zero = true;
                afterPlace = false;
                continue;
            }
            if (d is { } value)
            {
                if (digit is not null) return null;
                digit = value;
                continue;
            }
            long place = c switch { '十' => 10, '百' => 100, '千' => 1000, '万' => 10_000, '亿' => 100_000_000, _ => 0 };
            if (place == 0) return null;
            if (place >= 10_000)
            {
                section += digit ?? 0;
                if (section == 0 && (place == 10_000 || total == 0)) return null;
                total = place == 10_000 ? total + section * place : (total + section) * place;
                section = 0;
                digit = null;
                lastPlace = place;
                afterPlace = true;
                zero = false;
                continue;
            }
            if (place >= lastPlace % 10_000 && lastPlace < 10_000) return null;
            if (digit is null && !(place == 10 && (section == 0 && total == 0 || zero))) return null; // 十二, 一百零十… only 十 may stand bare
            section += (digit ?? 1) * place;
            digit = null;
            lastPlace = place;
            afterPlace = place >= 100;
            zero = false;
        }
        if (digit is { } last)
        {
            if (afterPlace) return null;
            section += last;
        }
        return total + section;
    }

    /// <summary>三点五 → 3.5, 零点二五 → 0.25: the integer part as <see cref="ParseInteger"/>, the decimals digit by digit.</summary>
    public static double? Parse(string text)
    {
        var point = text.IndexOf('点');
        if (point < 0) return ParseInteger(text);
        if (ParseInteger(text[..point]) is not { } whole) return null;
        var decimals = text[(point + 1)..];
        if (decimals.Length == 0) return null;
        var digits = new char[decimals.Length];
        for (var i = 0; i < decimals.Length; i++)
        {
            if (DigitOf(decimals[i]) is not { } d) return null;
            digits[i] = (char)('0' + d);
        }
        return double.Parse($"{whole}.{new string(digits)}", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int? DigitOf(char c) => c switch
    {
        '零' or '〇' => 0,
        '一' => 1,
        '二' or '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => null,
    };
}
