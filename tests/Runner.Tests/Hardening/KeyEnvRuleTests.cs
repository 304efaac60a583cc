using Evals.Benchmarks.Models;
using Evals.Runner.Backends.OpenAiCompatible;

namespace Evals.Runner.Tests.Hardening;

/// <summary>
/// Issue 18, finding 4: key_env may name only variables the operator allows, or any secret of the process (the
/// database's connection string) would be sent as a bearer token to whatever base URL an admin registered.
/// </summary>
public sealed class KeyEnvRuleTests
{
    [Theory]
    [InlineData("ConnectionStrings__Evals")]
    [InlineData("PGPASSWORD")]
    [InlineData("EVALS_TEST_DATABASE")]
    [InlineData("AWS_SECRET_ACCESS_KEY")]
    [InlineData("HOME")]
    public void A_variable_outside_the_allowed_rule_is_refused_naming_the_rule(string variable)
    {
        var e = Assert.Throws<ModelSpecException>(() => OpenAiSpec.Parse(ModelSpec.Parse($"openai:http://127.0.0.1:1/v1?model=x&key_env={variable}")));
        Assert.Contains($"key_env='{variable}' is not allowed", e.Message);
        Assert.Contains(OpenAiSpec.DefaultAllowedKeyEnv, e.Message);
        Assert.Contains(OpenAiSpec.AllowedKeyEnvSetting, e.Message);
    }

    [Theory]
    [InlineData("DASHSCOPE_API_KEY")]
    [InlineData("DEEPSEEK_API_KEY")]
    [InlineData("EVALS_V1_KEY")]
    public void A_variable_named_as_an_API_key_is_allowed(string variable) =>
        Assert.Equal(variable, OpenAiSpec.Parse(ModelSpec.Parse($"openai:http://127.0.0.1:1/v1?model=x&key_env={variable}")).KeyEnv);
}
