using Evals.TestKit;
using Evals.Web.Arena;

namespace Evals.Web.Tests.Arena;

public sealed class PromptBankTests
{
    [Fact]
    public void The_shipped_bank_holds_about_fifty_distinct_chinese_prompts_across_categories()
    {
        var prompts = PromptBank.Read(Path.Combine(RepoPaths.Datasets, "arena", "prompts.jsonl"));
        Assert.InRange(prompts.Count, 50, 80);
        Assert.Equal(prompts.Count, prompts.Select(p => p.Id).Distinct().Count());
        Assert.Equal(prompts.Count, prompts.Select(p => p.Prompt).Distinct().Count());
        Assert.All(prompts, p => Assert.Contains(p.Prompt, c => c is >= '\u4e00' and <= '\u9fff'));
        Assert.True(prompts.Select(p => p.Category).Distinct().Count() >= 8);
    }

    [Fact]
    public void A_bad_line_is_named_by_file_line_and_field()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("evals-prompts-").FullName, "prompts.jsonl");
        File.WriteAllLines(file, ["{\"id\":\"a\",\"category\":\"c\",\"prompt\":\"你好\"}", "{\"id\":\"b\",\"category\":\"c\"}"]);
        var error = Assert.Throws<FormatException>(() => PromptBank.Read(file));
        Assert.Equal($"{file}:2: field 'prompt': missing or not a non-empty string", error.Message);
    }
}
