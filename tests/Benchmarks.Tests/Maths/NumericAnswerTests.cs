using Evals.Benchmarks.Suites.Maths;

namespace Evals.Benchmarks.Tests.Maths;

/// <summary>
/// Numeric answers: one case per normalisation rule, per extraction rule, and the numbers that must not be taken for the
/// answer (a year, a list, an intermediate result). Expected values worked out by hand.
/// </summary>
public class NumericAnswerTests
{
    public static TheoryData<string, double> Numbers => new()
    {
        { "１２３", 123 },                 // full-width digits
        { "1,234", 1234 },                // thousands separator
        { "1,234,567", 1234567 },
        { "１，２３４", 1 },               // a full-width comma is Chinese punctuation, not a separator: the first number
        { "3/4", 0.75 },                  // fraction
        { @"\frac{3}{4}", 0.75 },
        { @"\dfrac{ 3 }{ 8 }", 0.375 },
        { "四分之三", 0.75 },
        { "3分之2", 2.0 / 3 },
        { "0.125", 0.125 },               // decimal
        { "３．５", 3.5 },
        { "50%", 0.5 },                   // percentage
        { "５０％", 0.5 },
        { "百分之五十", 0.5 },
        { "三百二十五", 325 },             // Chinese numerals
        { "两千零五", 2005 },
        { "十二", 12 },
        { "一万零八百", 10800 },
        { "三点五", 3.5 },
        { "1.5万", 15000 },               // 万/亿 after digits
        { "2亿", 200_000_000 },
        { "-5", -5 },                     // negative numbers
        { "−3.5", -3.5 },
        { "负五", -5 },
        { "负四分之一", -0.25 },
    };

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Each_written_form_reads_as_its_value(string text, double expected)
    {
        var value = NumberScanner.Scan(NumberScanner.Normalise(text))[0].Value;
        Assert.Equal(expected, value.Value, 12);
    }

    [Theory]
    [InlineData("二〇二三")]     // digit by digit: a year or a code, not a quantity
    [InlineData("三百五")]       // colloquially 350, grammatically 305: ambiguous
    [InlineData("三十二百")]     // places out of order
    [InlineData("一二")]
    public void Ambiguous_chinese_numerals_are_not_read(string text) => Assert.Null(ChineseNumerals.Parse(text));

    [Fact]
    public void Lists_are_not_thousands()
    {
        Assert.Equal([1.0, 2.0], NumberScanner.Scan("1, 2").Select(m => m.Value.Value));
        Assert.Equal([1.0, 2.0, 3.0], NumberScanner.Scan("1,2,3").Select(m => m.Value.Value));
        Assert.Equal([10.0, 3.0, 7.0], NumberScanner.Scan("10-3=7").Select(m => m.Value.Value)); // a minus after a digit subtracts
    }

    [Fact]
    public void Percentages_and_wan_keep_the_written_figure_as_second_reading()
    {
        Assert.Equal([0.5, 50.0], NumberScanner.ParseWhole("50%")!.Readings);
        Assert.Equal([15000.0, 1.5], NumberScanner.ParseWhole("1.5万")!.Readings);
        Assert.Equal([0.75], NumberScanner.ParseWhole("3/4")!.Readings);
        Assert.Null(NumberScanner.ParseWhole("5个"));
    }

    public static TheoryData<string, double?, string> Extractions => new()
    {
        { @"先算 3+4=7，再乘 2，最后 \boxed{14}。", 14, "boxed" },
        { @"所以答案是 12。\boxed{\frac{3}{4}}", 0.75, "boxed" },
        { "16-3-4=9\n9*2=18\n#### 18", 18, "hashes" },
        { "她每天卖 16-3-4=9 颗蛋，赚 9×2=18 美元。\n答案：18", 18, "answer_phrase" },
        { "答案是：１２元。", 12, "answer_phrase" },
        { "答：他们一共需要付 3×5=15 元。", 15, "answer_phrase" },
        { "答案是 15 元，一共 3 人。", 15, "answer_phrase" },
        { "答案：\n\n18", 18, "answer_phrase" },
        { "答：一共有十二个。", 12, "answer_phrase" },
        { "答：两千克。", 2, "answer_phrase" },                             // 千克 is a unit (kg)
        { "答：三千米，合两千零五十米。", 3, "answer_phrase" },
        { "答案是：三角形的面积是 12 平方厘米。", 12, "answer_phrase" },
        { "所以 12+5=17（个）。", 17, "conclusion" },
        { "每盒 6 个，4 盒是 24 个，因此还剩 24-20=4 个", 4, "conclusion" },
        { "先算 3×4=12，再加 5，得到 17", 17, "last_number" },
        { "<think>3+4=7，答案是7</think>答案是 8", 8, "answer_phrase" },
        { "<think>3+4=7，答案是7</think>我算好了", 7, "answer_phrase_in_think" },
        // numbers that are not the answer
        { "一共有 8 个苹果。这是2023年的题目", 8, "last_number" },       // a year after the answer
        { "答案是 8 个（2023年期末考试）", 8, "answer_phrase" },
        { "第1步：5+3=8\n第2步", 8, "last_number" },                      // ordinals
        { "1. 先算 5+3=8\n2. 再检查", 8, "last_number" },                         // step markers
        { "所以答案是 7。检查：7+3=10，正确。", 7, "answer_phrase" },     // a later intermediate number
        { "答案不是 5，我不知道。", null, "no_number" },
        { "我不会做这道题。", null, "no_number" },
        { "", null, "empty" },
        { "<think>3+4=7", null, "unfinished_think" },
    };

    [Theory]
    [MemberData(nameof(Extractions))]
    public void Extraction_takes_the_final_answer(string output, double? expected, string rule)
    {
        var result = NumericExtraction.Extract(output);
        Assert.Equal(rule, result.Rule);
        Assert.Equal(expected, result.Value?.Value);
    }

    [Theory]
    [InlineData("18", "18", 0, true)]
    [InlineData("18.0", "18", 0, true)]         // MGSM: simple-evals strips trailing zeros
    [InlineData("2125", "2,125", 0, true)]
    [InlineData("1/3", "2/6", 0, true)]          // unreduced gold fractions (CMATH)
    [InlineData("0.333", "1/3", 0, false)]
    [InlineData("0.333", "1/3", 0.01, true)]     // CMATH: relative difference 0.001 < 0.01
    [InlineData("0.32", "1/3", 0.01, false)]     // 0.0133 / 0.32 = 0.042
    [InlineData("99", "100", 0.01, false)]       // two integers must be equal even within tolerance
    [InlineData("99.5", "100", 0.01, true)]      // a decimal answer falls under the relative rule: 0.5 / 99.5 = 0.005
    [InlineData("50%", "0.5", 0, true)]          // a percentage matches its fraction …
    [InlineData("50%", "50", 0, true)]           // … and the figure written
    [InlineData("0.12", "12%", 0.01, true)]
    [InlineData("1.5万", "15000", 0, true)]
    [InlineData("-5", "5", 0.01, false)]
    public void Comparison_follows_the_task_tolerance(string answer, string gold, double tolerance, bool expected) =>
        Assert.Equal(expected, NumericComparison.Matches(NumberScanner.ParseWhole(answer)!, NumberScanner.ParseWhole(gold)!, tolerance));
}
