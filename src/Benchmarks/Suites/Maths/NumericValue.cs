using System.Globalization;

namespace Evals.Benchmarks.Suites.Maths;

/// <summary>
/// A number as a math answer gives it. <see cref="Value"/> is what it means (3/4 → 0.75, 50% → 0.5, 1.5万 → 15000);
/// <see cref="AsWritten"/> is the other reading a reader could intend when a percent sign or 万/亿 is attached (50% → 50,
/// 1.5万 → 1.5: problems asking "百分之几" or "多少万元" are answered and keyed both ways); null otherwise.
/// </summary>
/// <param name="Text">The number normalised to ASCII digits (full-width digits, thousands separators, \frac and
/// Chinese numerals rewritten): <c>1234</c>, <c>3/4</c>, <c>50%</c>, <c>1.5万</c>.</param>
/// <param name="IsInteger">Written as a whole number (no point, fraction bar or percent): CMATH compares two of these exactly.</param>
public sealed record NumericValue(double Value, double? AsWritten, string Text, bool IsInteger)
{
    public IEnumerable<double> Readings => AsWritten is { } other ? [Value, other] : [Value];

    public static NumericValue Integer(long value) =>
        new(value, null, value.ToString(CultureInfo.InvariantCulture), true);

    /// <summary>The shortest round-trip form of <see cref="Value"/>: the key majority voting groups answers by.</summary>
    public string Canonical => Value.ToString("R", CultureInfo.InvariantCulture);
}
