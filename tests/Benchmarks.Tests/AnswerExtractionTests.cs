using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Tests;

/// <summary>
/// Answer extraction against outputs written the way Chinese chat models answer. Question for the letter cases:
/// 中国的首都是哪座城市？ A. 上海 B. 北京 C. 广州 D. 深圳 (gold B). Expected: the letter picked, "refused", or "unparseable".
/// </summary>
public class AnswerExtractionTests
{
    private static readonly string[] Letters = ["A", "B", "C", "D"];
    private static readonly string[] Options = ["上海", "北京", "广州", "深圳"];

    public static TheoryData<string, string, string> LetterCases => new()
    {
        // bare answers
        { "B", "B", "letter_only" },
        { "B.", "B", "letter_only" },
        { "（B）", "B", "letter_only" },
        { "(B)", "B", "letter_only" },
        { "Ｂ", "B", "letter_only" },
        { " B。\n", "B", "letter_only" },
        { "【B】", "B", "letter_only" },
        { "B选项", "B", "letter_only" },
        // conclusion phrases
        { "答案：B", "B", "explicit" },
        { "答案是B", "B", "explicit" },
        { "答案是Ｂ。", "B", "explicit" },
        { "正确答案：B", "B", "explicit" },
        { "正确答案是 B. 北京", "B", "explicit" },
        { "答案为（B）", "B", "explicit" },
        { "答案应该是B，因为北京是中国的首都。", "B", "explicit" },
        { "我的答案是：C", "C", "explicit" },
        { "选B", "B", "explicit" },
        { "应选择B。", "B", "explicit" },
        { "故选B", "B", "explicit" },
        { "所以选 A。", "A", "explicit" },
        { "我选Ｄ，深圳是经济特区。", "D", "explicit" },
        { "B项正确。", "B", "explicit" },
        { "B选项是正确的，北京是首都。", "B", "explicit" },
        { "正确的是B", "B", "explicit" },
        { "正确选项为：B", "B", "explicit" },
        { "正确的一项是（Ｃ）", "C", "explicit" },
        // explanations before the answer
        { "上海是中国最大的城市，但不是首都；广州和深圳也不是。北京是中华人民共和国的首都。因此答案是B。", "B", "explicit" },
        { "分析：A项上海是直辖市，C项广州是广东省会，D项深圳是经济特区。B项北京是首都。综上，正确答案为B。", "B", "explicit" },
        { "A项错误，上海不是首都。B项正确。", "B", "explicit" },
        { "A不正确，C不正确，D不正确，所以选B", "B", "explicit" },
        { "首先排除A和C，然后比较B和D。最终答案：B", "B", "explicit" },
        { "让我想想……答案是A。不对，重新考虑，答案是B。", "B", "explicit" },
        { "解析：首都是国家的政治中心。\n答案：B", "B", "explicit" },
        { "这道题考查常识。不选A，也不选C，应该选B。", "B", "explicit" },
        // leading letter with an explanation after it
        { "B. 北京", "B", "leading_letter" },
        { "B、北京是中国的首都。", "B", "leading_letter" },
        { "Ｃ：广州", "C", "leading_letter" },
        { "(B) 北京", "B", "leading_letter" },
        // bracketed letter in a sentence
        { "我认为是（B）北京。", "B", "explicit" },
        { "首都应当是【B】", "B", "explicit" },
        // the choice text without its letter
        { "北京", "B", "choice_text_exact" },
        { "北京。", "B", "choice_text_exact" },
        { "“深圳”", "D", "choice_text_exact" },
        { "中国的首都是北京。", "B", "choice_text" },
        { "首都位于北京，是政治文化中心。", "B", "choice_text" },
        // one letter mentioned in passing
        { "我觉得B比较合理", "B", "explicit" },
        { "应该是 B 吧", "B", "explicit" },
        // hedged answers and two letters with no conclusion
        { "答案可能是B或C", "unparseable", "hedged" },
        { "答案是B或者C。", "unparseable", "hedged" },
        { "选A或B都有道理", "unparseable", "hedged" },
        { "可能选A，也可能选B，我不确定。", "unparseable", "hedged" },
        { "A和B看起来都对。", "unparseable", "ambiguous" },
        { "上海和北京都是大城市。", "unparseable", "no_answer" },
        { "也许是A，也许是B。", "unparseable", "hedged" },
        // nothing usable
        { "", "unparseable", "empty" },
        { "   \n", "unparseable", "empty" },
        { "这个问题很有意思，需要更多信息。", "unparseable", "no_answer" },
        { "I think the answer is unclear.", "unparseable", "no_answer" },
        { "DNA and AI are abbreviations.", "unparseable", "no_answer" },
        { "E", "unparseable", "no_answer" },
        // refusals
        { "抱歉，我无法回答这个问题。", "refused", "refusal" },
        { "对不起，我不能提供这方面的信息。", "refused", "refusal" },
        { "作为一个AI语言模型，我无法对此做出选择。", "refused", "refusal" },
        { "很抱歉，该问题涉及敏感话题，我不便回答。", "refused", "refusal" },
        { "您的问题包含不当内容，违反相关规定，无法提供答案。", "refused", "refusal" },
        { "I'm sorry, but the request was blocked by the content filter.", "refused", "refusal" },
        { "抱歉，作为AI我不能对A、B、C、D做出判断。", "refused", "refusal" },
        // a refusal phrase does not override an explicit answer
        { "抱歉，刚才说错了，正确答案是B。", "B", "explicit" },
    };

    [Theory]
    [MemberData(nameof(LetterCases))]
    public void Letter_answers(string output, string expected, string rule)
    {
        var extraction = AnswerExtraction.Extract(output, Letters, Options);
        Assert.Equal(rule, extraction.Rule);
        var got = extraction.Refused ? "refused" : extraction.Choice is { } c ? Letters[c] : "unparseable";
        Assert.Equal(expected, got);
    }

    public static TheoryData<string, string, string> WordCases => new()
    {
        { "相同", "相同", "exact" },
        { "不同。", "不同", "exact" },
        { "答案：相同", "相同", "explicit" },
        { "两句话都在问花呗还款，意思一样。答案是相同", "相同", "explicit" },
        { "这两个句子的意思不同。", "不同", "mention" },
        { "意思不同，而不是相同。", "不同", "mention" },
        { "可能相同也可能不同", "unparseable", "hedged" },
        { "抱歉，我无法回答。", "refused", "refusal" },
        { "无从判断", "unparseable", "no_answer" },
        { "Ｎ/Ａ", "unparseable", "no_answer" },
    };

    [Theory]
    [MemberData(nameof(WordCases))]
    public void Label_word_answers(string output, string expected, string rule)
    {
        string[] words = ["不同", "相同"];
        var extraction = AnswerExtraction.Extract(output, words);
        Assert.Equal(rule, extraction.Rule);
        var got = extraction.Refused ? "refused" : extraction.Choice is { } c ? words[c] : "unparseable";
        Assert.Equal(expected, got);
    }

    [Fact]
    public void A_longer_label_wins_over_the_shorter_one_it_contains()
    {
        string[] words = ["相同", "不相同"];
        Assert.Equal(1, AnswerExtraction.Extract("这两句话的意思不相同", words).Choice);
        Assert.Equal(0, AnswerExtraction.Extract("这两句话的意思相同", words).Choice);
    }

    // One case or more per rule and per kind of output issue 12 lists (the corpus in Extraction/ measures agreement).
    public static TheoryData<string, string, string> RuleCases => new()
    {
        // normalisation: lower case, full-width lower case, markdown, LaTeX, brackets, struck-out text
        { "答案是 b", "B", "explicit" },
        { "ｂ", "B", "letter_only" },
        { "**答案：B**", "B", "explicit" },
        { "答案是$B$", "B", "explicit" },
        { "因此答案为 $\\boxed{B}$。", "B", "explicit" },
        { "答案是【C】", "C", "explicit" },
        { "正确答案：~~A~~ B", "B", "explicit" },
        // the option's text or an ordinal after a conclusion phrase
        { "应该是北京", "B", "explicit_text" },
        { "答案是第二个", "B", "ordinal" },
        { "第二个选项", "B", "ordinal" },
        { "第二个是对的", "B", "ordinal" },
        // negation, elimination, singling out
        { "不要选B", "unparseable", "no_answer" },
        { "很多人误选A，其实答案是B。", "B", "explicit" },
        { "不是A，也不是C，而是B。", "B", "explicit" },
        { "排除A、C、D，剩下的就是它", "B", "elimination" },
        { "A错误，C错误，D错误。", "B", "elimination" },
        { "不是上海，不是广州，也不是深圳", "B", "elimination" },
        { "A、B、D的说法都是正确的，只有C不正确。", "C", "explicit" },
        { "C项说法错误，当选。", "C", "explicit" },
        { "非B莫属。", "B", "explicit" },
        { "A项正确，B项正确。", "unparseable", "ambiguous" },
        { "A项：上海是直辖市，错误。\nB项：北京是首都，正确。\nC项：广州是省会，错误。", "B", "explicit" },
        { "A. 上海 ✗\nB. 北京 ✓\nC. 广州 ✗\nD. 深圳 ✗", "B", "explicit" },
        { "从左到右算得20，也就是A，但那是错误的。正确结果14对应B。", "B", "explicit" },
        { "因此，A、C、D都不是首都。", "B", "elimination" },
        { "选A的人都错了。", "unparseable", "no_answer" },
        { "Not A (Shanghai) but B (Beijing).", "B", "single_letter" },
        // self-corrections and retractions
        { "A……不对，应该是D", "D", "explicit" },
        { "C。哦不，我搞错了，是B。", "B", "explicit" },
        { "答案是A。\n\n不对。", "unparseable", "retracted" },
        // several letters for a single-answer item
        { "B和C", "unparseable", "multiple" },
        { "答案：BC", "unparseable", "multiple" },
        { "B 和 C 都有道理。", "unparseable", "ambiguous" },
        // hedges that keep or withdraw the answer
        { "可能是B吧。", "B", "tentative" },
        { "答案是B，不过我不是百分之百确定。", "B", "explicit" },
        { "答案是B，不过A也有可能。", "unparseable", "hedged" },
        { "可能是B也可能是C……仔细想想，最终答案：C。", "C", "explicit" },
        { "我算出来是14，但好像两个都接近……A或B吧。", "unparseable", "hedged" },
        // refusals that still answer
        { "作为AI我无法保证答案完全准确，但我认为是B。", "B", "explicit" },
        { "这个问题我没法回答。", "refused", "refusal" },
        // restated option lists and option-by-option analysis
        { "A. 上海\nB. 北京\nC. 广州\nD. 深圳\n\n中国的首都是北京。", "B", "choice_text" },
        { "A. 上海\nB. 北京\nC. 广州\nD. 深圳", "unparseable", "no_answer" },
        { "B。因为北京是中华人民共和国的首都。", "B", "leading_letter" },
        { "上海、北京都是直辖市，但首都是北京，其次是上海。", "B", "choice_text" },
        // Traditional and English
        { "正確答案：B", "B", "explicit" },
        { "應該選B，北京是首都。", "B", "explicit" },
        { "The answer is (b)", "B", "explicit" },
        { "Option B", "B", "letter_only" },
        { "A careful reading shows the capital is Beijing.", "unparseable", "no_answer" },
        { "I'd go with B.", "B", "explicit" },
        // think blocks
        { "<think>可能是A？不对，应该是B。</think>B", "B", "letter_only" },
        { "<think>首都是北京，答案是B。</think>", "B", "explicit_in_think" },
        { "<think>答案是B</think>\n\n我不确定，可能是A也可能是C。", "unparseable", "hedged" },
        { "<think>首都是北京，答案是B。", "unparseable", "unfinished_think" },
        { "<think>B</think>\n\n抱歉，我无法回答这个问题。", "refused", "refusal" },
    };

    [Theory]
    [MemberData(nameof(RuleCases))]
    public void Rules(string output, string expected, string rule) => Letter_answers(output, expected, rule);

    public static TheoryData<string, string[], string, string> LabelRuleCases => new()
    {
        { "這則評論是負面的。", ["负面", "正面"], "负面", "explicit" },
        { "这条评论不是正面的，而是负面的。", ["负面", "正面"], "负面", "explicit" },
        { "这两句话的意思不相同。", ["不同", "相同"], "不同", "negated_label" },
        { "这两句话并不矛盾。", ["蕴含", "中立", "矛盾"], "unparseable", "no_answer" },
        { "既不是蕴含也不是矛盾", ["蕴含", "中立", "矛盾"], "中立", "negated_label" },
        { "我不确定是蕴含还是中立。", ["蕴含", "中立", "矛盾"], "unparseable", "hedged" },
        { "Entailment", ["蕴含", "中立", "矛盾"], "蕴含", "exact" },
        { "两句话意思一致", ["不同", "相同"], "相同", "mention" },
        { "<think>前提推不出假设，中立。</think>\n\n", ["蕴含", "中立", "矛盾"], "中立", "mention_in_think" },
        { "<think>前提和假设的关系……", ["蕴含", "中立", "矛盾"], "unparseable", "unfinished_think" },
    };

    [Theory]
    [MemberData(nameof(LabelRuleCases))]
    public void Label_rules(string output, string[] words, string expected, string rule)
    {
        var extraction = AnswerExtraction.Extract(output, words);
        Assert.Equal(rule, extraction.Rule);
        var got = extraction.Refused ? "refused" : extraction.Choice is { } c ? words[c] : "unparseable";
        Assert.Equal(expected, got);
    }

    [Fact]
    public void A_wrong_guess_is_never_substituted()
    {
        // Letters outside the options, option lists and several letters are unparseable rather than a guess.
        foreach (var output in new[] { "E", "答案是F", "A、B、C、D", "ABCD都对", "答案：A B C D" })
            Assert.Null(AnswerExtraction.Extract(output, Letters, Options).Choice);
    }

    [Fact]
    public void The_table_has_at_least_sixty_outputs() =>
        Assert.True(LetterCases.Count + WordCases.Count >= 60, $"{LetterCases.Count + WordCases.Count} cases");
}
