using Evals.Benchmarks.Ratings;

namespace Evals.Benchmarks.Tests.Ratings;

/// <summary>Prompt categories by the rules of docs/arena.md, each case classified by hand.</summary>
public sealed class PromptCategoriesTests
{
    [Theory]
    [InlineData("请以“深夜的便利店”为题，写一首不超过八行的现代诗。", "chinese creative_writing")]
    [InlineData("Write a short story about a lighthouse keeper.", "english creative_writing")]
    [InlineData("用 Python 写一个函数，判断一个字符串是不是回文。", "chinese code")]
    [InlineData("How do I reverse a linked list in Java?", "english code")]
    [InlineData("解方程 3x + 5 = 20，并写出步骤。", "chinese math")]
    [InlineData("What is 17 * 23?", "english math")]
    [InlineData("帮我把这句话翻译成英文: The quick brown fox jumps over the lazy dog near the river bank today", "mixed")]
    [InlineData("北京在 2024-01 的平均气温是多少？", "chinese")] // a date is not arithmetic
    [InlineData("12345", "")] // no script at all: no language category
    public void Rules_classify_hand_checked_prompts(string prompt, string expected) =>
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), PromptCategories.Of([prompt]));

    [Fact]
    public void Language_is_decided_by_the_share_of_Han_characters_among_Han_characters_and_Latin_words()
    {
        // 7 Han characters and 3 Latin words: share 0.7, Chinese at the boundary; one more word: 7/11 = 0.64, mixed.
        Assert.Equal([PromptCategories.Chinese], PromptCategories.Of(["七个汉字在这里 one two three"]));
        Assert.Equal([PromptCategories.Mixed], PromptCategories.Of(["七个汉字在这里 one two three four"]));
        // 3 Han characters and 7 words: 0.3, English at the boundary.
        Assert.Equal([PromptCategories.English], PromptCategories.Of(["三个字 a b c d e f g"]));
    }

    [Fact]
    public void Long_prompts_multi_turn_conversations_and_the_bank_category_are_recorded()
    {
        var longPrompt = new string('字', PromptCategories.LongPromptTokens);
        Assert.Equal([PromptCategories.Chinese, PromptCategories.LongPrompt], PromptCategories.Of([longPrompt]));
        Assert.Equal([PromptCategories.Chinese], PromptCategories.Of([longPrompt[1..]]));
        Assert.Equal([PromptCategories.Chinese, PromptCategories.MultiTurn, "bank:advice"], PromptCategories.Of(["你好", "再说一遍"], "advice"));
        // Equal sets share one list, so millions of battles do not each hold their own.
        Assert.Same(PromptCategories.Of(["你好"]), PromptCategories.Of(["再见"]));
    }
}
