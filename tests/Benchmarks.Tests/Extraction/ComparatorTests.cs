namespace Evals.Benchmarks.Tests.Extraction;

/// <summary>
/// The comparators behave as their upstream code reads (quirks included), so that the agreement figures measure the
/// real tools: each case follows from the documented pattern order.
/// </summary>
public class ComparatorTests
{
    [Theory]
    [InlineData("答案是B", "B")]
    [InlineData("答案是 b", null)]                 // upper-case letters only; the cushion patterns find no A–D either
    [InlineData("B和C", "B")]                      // one letter always, never "several"
    [InlineData("不要选B", "B")]                    // 选择?\s*([ABCD]) has no notion of negation
    [InlineData("The answer is (c)", null)]        // [Tt]he answer is:?\s+\(?([ABCD]) is upper case
    [InlineData("A careful look shows Paris.", "A")] // cushion: the first option letter anywhere
    [InlineData("答案是A。不对，答案是B。", "A")]     // re.search: the first match of the first pattern that matches
    [InlineData("应该是长江", null)]
    public void OpenCompass_first_option_postprocess(string text, string? expected) =>
        Assert.Equal(expected, OpenCompassFirstOption.Extract(text, "ABCD"));

    [Theory]
    [InlineData("B和C", "B")]                       // a leading A–D is the answer
    [InlineData("A careful look shows Paris.", "A")]
    [InlineData("答案是A。不对，答案是B。", "B")]      // findall on the first matching pattern, last match
    [InlineData("**答案：B**", "B")]
    [InlineData("答案是 **B**", null)]              // bold markers between the phrase and the letter
    [InlineData("选B", "B")]
    [InlineData("故选B", null)]
    [InlineData("", null)]
    public void CEval_extract_ans(string text, string? expected) =>
        Assert.Equal(expected, CEvalExtractAns.Extract(text));
}
