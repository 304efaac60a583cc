using Evals.Benchmarks.Feedback;

namespace Evals.Benchmarks.Tests.Feedback;

public class AnswerLanguageTests
{
    [Theory]
    [InlineData("Python 是一种编程语言", 7, 1)]
    [InlineData("Beijing is the capital of 中国.", 2, 5)]
    [InlineData("don't panic", 0, 2)]
    [InlineData("用 `print(x)` 输出", 3, 0)]
    [InlineData("代码：\n```python\nfor i in range(10): print(i)\n```\n完毕", 4, 0)]
    [InlineData("2024 年 12 月", 2, 0)]
    public void Han_characters_are_counted_against_Latin_words_outside_code(string text, int han, int words)
    {
        var share = AnswerLanguage.Measure(text);
        Assert.Equal(han, share.HanCharacters);
        Assert.Equal(words, share.LatinWords);
    }

    [Theory]
    [InlineData("北京是哪个国家的首都？", "Beijing is the capital of China.", true)]
    [InlineData("北京是哪个国家的首都？", "Beijing is the capital of China (中国).", true)]
    [InlineData("北京是哪个国家的首都？", "北京是中国的首都。", false)]
    [InlineData("怎么用 Python 读文件？", "可以用 open 函数，例如 with open(path) as f 读取全部内容。", false)]
    [InlineData("怎么用 Python 读文件？", "```python\nwith open('a.txt') as f:\n    text = f.read()\n```", false)]
    [InlineData("What is the capital of China?", "Beijing is the capital of China.", false)]
    [InlineData("一加一等于几？", "2", false)]
    [InlineData("你好", "OK sure", false)]
    [InlineData("请用英文翻译：你好", "Hello, how are you?", true)]
    public void A_Chinese_question_answered_in_English_is_flagged(string question, string answer, bool flagged)
    {
        var verdict = AnswerLanguage.Check(question, answer);
        Assert.True(flagged == verdict.Flagged, verdict.Reason);
    }
}
