using Evals.Web.Arena;

namespace Evals.Web.Tests.Arena;

public sealed class NameDetectorTests
{
    private static readonly NameDetector Detector = new(
        Evals.Storage.Configurations.ArenaNameTermConfiguration.Defaults.Concat(["my-model-v2", "acme", "yi"]));

    [Theory]
    [InlineData("我是通义千问，很高兴为你服务。", "通义千问")]
    [InlineData("我是由百度开发的文心一言。", "文心一言")]
    [InlineData("作为豆包，我建议……", "豆包")]
    [InlineData("I am KIMI.", "Kimi")]
    [InlineData("本模型由月之暗面出品", "月之暗面")]
    [InlineData("我是 ＱＷＥＮ 模型", "Qwen")]                   // full-width and upper case
    [InlineData("我是智谱AI训练的ChatGLM", "ChatGLM")]
    [InlineData("我是讯飞星火认知大模型", "讯飞星火")]
    [InlineData("我来自深度求索公司", "深度求索")]
    [InlineData("我是腾讯混元助手", "混元")]
    [InlineData("My name is MY-MODEL-V2.", "my-model-v2")]         // a registered name
    [InlineData("Built by Acme Labs.", "acme")]                    // a registered family
    public void Names_in_chinese_and_latin_script_are_found(string answer, string name)
    {
        var found = Detector.Detect("这是另一个回答。", answer);
        Assert.NotNull(found);
        Assert.StartsWith("answer B: ", found);
        Assert.Contains(name, found, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("床前明月光，疑是地上霜。")]
    [InlineData("The answer is yes, you may.")] // "yi" is too short to match inside words
    public void Ordinary_answers_name_nobody(string answer) => Assert.Null(Detector.Detect(answer, answer));
}
