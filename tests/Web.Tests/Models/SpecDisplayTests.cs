using Evals.Runner.Leaderboards;

namespace Evals.Web.Tests.Models;

/// <summary>What a public model page shows of a spec: credentials in a URL or an option are masked, variable names stay.</summary>
public sealed class SpecDisplayTests
{
    [Theory]
    [InlineData("baseline:first", "baseline:first")]
    [InlineData("openai:https://api.example.com/v1?model=qwen&key_env=QWEN_API_KEY", "openai:https://api.example.com/v1?model=qwen&key_env=QWEN_API_KEY")]
    [InlineData("openai:https://alice:s3cret@api.example.com/v1?model=qwen", "openai:https://***@api.example.com/v1?model=qwen")]
    [InlineData("openai:http://127.0.0.1:8000/v1?model=m&api_key=sk-123&token=abc", "openai:http://127.0.0.1:8000/v1?model=m&api_key=***&token=***")]
    [InlineData("openai:https://h/v1?model=m&key=k1#frag", "openai:https://h/v1?model=m&key=***#frag")]
    public void Credentials_are_masked_and_the_rest_is_kept(string spec, string shown) => Assert.Equal(shown, SpecDisplay.Mask(spec));
}
