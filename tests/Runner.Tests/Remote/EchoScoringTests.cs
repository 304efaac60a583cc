using System.Text.Json;
using Evals.Runner.Backends.OpenAiCompatible;

namespace Evals.Runner.Tests.Remote;

/// <summary>Scoring a choice from an echoed prompt's logprobs, as lm-evaluation-harness does over completions APIs.</summary>
public sealed class EchoScoringTests
{
    [Fact]
    public void A_choice_sums_the_tokens_from_the_end_of_the_context_without_its_trailing_spaces()
    {
        // "答案： A" as tokens "答案" (offset 0), "：" (2), " A" (3): the context "答案： " ends at 3 once its space moves on.
        var echo = new EchoedPrompt([null, -1.5, -0.25], [0, 2, 3], 3);
        var (logLikelihood, before, after) = EchoScoring.Split(echo, EchoScoring.CodePoints("答案： ".TrimEnd(' ')), " A");
        Assert.Equal(-0.25, logLikelihood);
        Assert.Equal((2, 1), (before, after));

        // Two continuation tokens are both counted.
        Assert.Equal(-3.5, EchoScoring.Split(new EchoedPrompt([null, -1, -2, -1.5], [0, 2, 3, 4], 4), 3, "正面").LogLikelihood);
        // A token that starts inside the context (merged across the boundary) leaves nothing to score: an error, not a silent 0.
        Assert.Throws<InvalidDataException>(() => EchoScoring.Split(new EchoedPrompt([null, -1.0], [0, 2], 2), 3, "A"));
        // The first token has no logprob; a continuation cannot start there.
        Assert.Throws<InvalidDataException>(() => EchoScoring.Split(new EchoedPrompt([null], [0], 1), 0, "A"));
        // Offsets count code points, as Python's len does: a character outside the BMP is one.
        Assert.Equal(2, EchoScoring.CodePoints("𠀀a"));
    }

    [Fact]
    public void Answers_without_echoed_logprobs_are_told_apart_from_malformed_ones()
    {
        var plain = EchoScoring.Parse(BinaryData.FromString("""{"choices":[{"text":"","logprobs":null}],"usage":{"prompt_tokens":3}}"""));
        Assert.Null(plain.Logprobs);
        var echoed = EchoScoring.Parse(BinaryData.FromString(
            """{"choices":[{"text":"ab","logprobs":{"tokens":["a","b"],"token_logprobs":[null,-0.5],"top_logprobs":[null,{"b":-0.5}],"text_offset":[0,1]}}],"usage":{"prompt_tokens":2}}"""));
        Assert.Equal([null, -0.5], echoed.Logprobs!);
        Assert.Equal([0, 1], echoed.Offsets);
        Assert.Equal(2, echoed.PromptTokens);
        Assert.Throws<JsonException>(() => EchoScoring.Parse(BinaryData.FromString("""{"object":"error"}""")));
        Assert.ThrowsAny<JsonException>(() => EchoScoring.Parse(BinaryData.FromString("""{"choices":[""")));
        var request = JsonDocument.Parse(EchoScoring.Request("m", "答案：A").ToString()).RootElement;
        Assert.Equal((0, true, 0), (request.GetProperty("max_tokens").GetInt32(), request.GetProperty("echo").GetBoolean(), request.GetProperty("logprobs").GetInt32()));
        Assert.Equal("答案：A", request.GetProperty("prompt").GetString());
    }
}
