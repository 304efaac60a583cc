using Evals.Benchmarks.Judging;

namespace Evals.Benchmarks.Tests.Judging;

/// <summary>Every verdict form of FastChat's, AlpacaEval's and PRD's pairwise judge prompts; anything else is unjudged.</summary>
public sealed class PairwiseVerdictParserTests
{
    [Theory]
    // FastChat pair-v2 / pair-math-v1 (and multi-turn): [[A]], [[B]], [[C]] = tie.
    [InlineData("Assistant A explains the steps correctly.\n\n[[A]]", PairwiseVerdict.A)]
    [InlineData("助手 B 的回答更完整。最终结论：[[B]]", PairwiseVerdict.B)]
    [InlineData("Both are equally good. [[C]]", PairwiseVerdict.Tie)]
    // FastChat checks A before B before C, whatever their positions in the reply.
    [InlineData("Not [[B]] but [[A]]", PairwiseVerdict.A)]
    [InlineData("[[C]] would be unfair; [[B]]", PairwiseVerdict.B)]
    // FastChat's two-score form [[rating_a,rating_b]] (and its single-bracket fallback); within 0.1 is a tie.
    [InlineData("Ratings: [[8, 6]]", PairwiseVerdict.A)]
    [InlineData("Ratings: [[3,9.5]]", PairwiseVerdict.B)]
    [InlineData("Ratings: [[7, 7.05]]", PairwiseVerdict.Tie)]
    [InlineData("Ratings: [4, 5]", PairwiseVerdict.B)]
    // AlpacaEval 1.0 alpaca_eval_gpt4: a line beginning "Output (a)" / "Output (b)"; 2.0 classifier: m / M.
    [InlineData("Output (b)", PairwiseVerdict.B)]
    [InlineData("Reasoning first.\n Output (a) is better.", PairwiseVerdict.A)]
    [InlineData("m", PairwiseVerdict.A)]
    [InlineData(" M\n", PairwiseVerdict.B)]
    // PRD three-class review: the last non-empty line is 1, 2 or 3 (tie).
    [InlineData("Assistant 1 is more detailed.\n1", PairwiseVerdict.A)]
    [InlineData("Assistant 2 answers the question.\n2\n", PairwiseVerdict.B)]
    [InlineData("They are equivalent.\n3", PairwiseVerdict.Tie)]
    public void Reads_every_published_verdict_form(string reply, PairwiseVerdict expected) =>
        Assert.Equal(expected, PairwiseVerdictParser.Parse(reply));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("I think A is better.")]            // a verdict in words only
    [InlineData("[A]")]                             // single brackets around a letter
    [InlineData("[[D]]")]
    [InlineData("[[a]]")]
    [InlineData("The Output (a) of the model")]    // not at a line start
    [InlineData("mM")]
    [InlineData("Assistant 1 scores\n4")]           // not a three-class code
    [InlineData("Ratings: [[eight, six]]")]
    public void Malformed_replies_are_unjudged(string? reply) => Assert.Null(PairwiseVerdictParser.Parse(reply));
}
