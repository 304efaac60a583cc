using System.Diagnostics;
using System.Text;
using Evals.Benchmarks.Ratings;

namespace Evals.Benchmarks.Tests.Ratings;

/// <summary>Chatbot Arena battle files: streamed in linear time, every problem named by line and field.</summary>
public sealed class BattleFileTests
{
    private static string Write(string content)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("evals-battles-").FullName, "battles.json");
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>One battle per line, as FastChat writes its dumps, with fields the reader must skip.</summary>
    private static string Battles(int count, Func<int, string?>? line = null)
    {
        var text = new StringBuilder("[\n");
        for (var i = 0; i < count; i++)
        {
            var winner = (i % 3) switch { 0 => "model_a", 1 => "model_b", _ => "tie" };
            text.Append(line?.Invoke(i) ?? $$$"""{"question_id": "q{{{i}}}", "model_a": "m{{{i % 50}}}", "model_b": "m{{{(i * 7 + 1) % 50}}}", "winner": "{{{winner}}}", "judge": "arena_user_{{{i % 997}}}", "conversation_a": [{"role": "user", "content": "你好 {{{i}}}"}], "turn": 1, "anony": true, "language": "Chinese", "dedup_tag": {"high_freq": false, "sampled": true}}""");
            text.Append(i + 1 < count ? ",\n" : "\n");
        }
        return text.Append(']').ToString();
    }

    [Fact]
    public void Two_hundred_thousand_battles_read_in_linear_time_and_a_bad_last_line_is_named()
    {
        // Over 2 MiB of buffer refills; a quadratic line count (each battle scanning from the file's start) would take
        // minutes here, linear reading well under a second, so the bound is generous for a slow machine.
        const int count = 200_000;
        var path = Write(Battles(count));
        var watch = Stopwatch.StartNew();
        var battles = BattleFile.Read(path);
        watch.Stop();
        Assert.Equal(count, battles.Count);
        Assert.Equal(new Battle("m0", "m1", BattleWinner.ModelA), battles[0]);
        Assert.Equal(new Battle("m49", "m44", BattleWinner.ModelB), battles[count - 1]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"200,000 battles took {watch.Elapsed.TotalSeconds:0.0} s");

        // The same file with its last battle broken: the message names its line (the array opens on line 1).
        var broken = Write(Battles(count, i => i == count - 1 ? """{"model_a": "x", "winner": "tie"}""" : null));
        var error = Assert.Throws<FormatException>(() => BattleFile.Read(broken));
        Assert.Equal($"{broken}:{count + 1}: battle {count - 1}: field 'model_b': missing or not a non-empty string", error.Message);
    }

    [Theory]
    [InlineData("[{\"model_a\": \"a\", \"model_b\": \"b\", \"winner\": \"model_a\"},\n{\"model_a\": \"a\", \"model_b\": 3, \"winner\": \"tie\"}]", ":2: battle 1: field 'model_b': missing or not a non-empty string")]
    [InlineData("[\n\n{\"model_a\": \"a\", \"model_b\": \"\", \"winner\": \"tie\"}]", ":3: battle 0: field 'model_b'")]
    [InlineData("[{\"model_a\": \"a\", \"model_b\": \"b\", \"winner\": \"a wins\"}]", ":1: battle 0: field 'winner': Unknown battle winner 'a wins'")]
    [InlineData("[{\"model_a\": \"a\", \"model_b\": \"b\", \"winner\": \"tie\", \"tstamp\": \"soon\"}]", ":1: battle 0: field 'tstamp': not a number")]
    [InlineData("[{\"model_a\": \"a\", \"model_b\": \"b\", \"winner\": \"tie\", \"tstamp\": 5},\n {\"model_a\": \"b\", \"model_b\": \"a\", \"winner\": \"tie\"}]", ":2: field 'tstamp': missing, while other battles have one")]
    [InlineData("[1, 2]", ":1: battle 0 is not a JSON object")]
    [InlineData("{\"battles\": []}", ":1: expected a JSON array")]
    [InlineData("", ":1: ")]
    [InlineData("[{\"model_a\": \"a\", \"model_b\": \"b\",\n \"winner\": \"tie\"", ":2: not valid JSON")]
    public void A_bad_file_names_its_line_and_field(string content, string expected)
    {
        var path = Write(content);
        var error = Assert.Throws<FormatException>(() => BattleFile.Read(path));
        Assert.StartsWith(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Time_stamps_order_the_battles_and_equal_ones_keep_their_file_order()
    {
        var path = Write("""
            [{"model_a": "a", "model_b": "b", "winner": "model_a", "tstamp": 3},
             {"model_a": "b", "model_b": "c", "winner": "tie (bothbad)", "tstamp": "1.5"},
             {"model_a": "c", "model_b": "a", "winner": "model_b", "tstamp": 3, "extra": {"nested": [1, {"x": null}]}}]
            """);
        Assert.Equal([new Battle("b", "c", BattleWinner.TieBothBad), new Battle("a", "b", BattleWinner.ModelA), new Battle("c", "a", BattleWinner.ModelB)],
            BattleFile.Read(path));
    }

    [Fact]
    public void Battles_whose_voter_saw_the_names_are_marked_named_and_others_are_not()
    {
        var path = Write("""
            [{"model_a": "a", "model_b": "b", "winner": "model_a", "anony": true},
             {"model_a": "a", "model_b": "b", "winner": "model_b", "anony": false},
             {"model_a": "b", "model_b": "a", "winner": "tie"},
             {"model_a": "b", "model_b": "a", "winner": "tie", "anony": "no"}]
            """);
        Assert.Equal([false, true, false, false], BattleFile.Read(path).Select(b => b.Named));
    }

    [Fact]
    public void Style_counts_are_read_from_conv_metadata_as_counts_or_summed_objects()
    {
        var path = Write("""
            [{"model_a": "a", "model_b": "b", "winner": "model_a", "conv_metadata": {"sum_user_tokens": 9, "sum_assistant_a_tokens": 120,
              "sum_assistant_b_tokens": 80, "header_count_a": {"h1": 1, "h2": 2, "h3": 0, "h4": 0, "h5": 0, "h6": 0}, "header_count_b": 0,
              "list_count_a": {"ordered": 3, "unordered": 4}, "list_count_b": {"ordered": 0, "unordered": 1},
              "bold_count_a": {"**": 5, "__": 1}, "bold_count_b": {"**": 0, "__": 0}}},
             {"model_a": "b", "model_b": "a", "winner": "tie", "conv_metadata": {"sum_assistant_a_tokens": 10}}]
            """);
        var battles = BattleFile.Read(path);
        Assert.Equal(new AnswerStyle(120, 3, 7, 6), battles[0].StyleA);
        Assert.Equal(new AnswerStyle(80, 0, 1, 0), battles[0].StyleB);
        Assert.Null(battles[1].StyleA); // incomplete counts: no style
        var error = Assert.Throws<FormatException>(() => BattleFile.Read(path, requireStyle: true));
        Assert.Equal($"{path}:5: battle 1: field 'conv_metadata': missing or without all of sum_assistant_a_tokens, header_count_a, list_count_a, "
            + "bold_count_a, sum_assistant_b_tokens, header_count_b, list_count_b, bold_count_b (style control needs them)", error.Message);

        var bad = Write("""
            [{"model_a": "a", "model_b": "b", "winner": "model_a",
              "conv_metadata": {"sum_assistant_a_tokens": 1, "list_count_b": {"ordered": "two"}}}]
            """);
        Assert.Equal($"{bad}:1: battle 0: field 'conv_metadata.list_count_b': not a count", Assert.Throws<FormatException>(() => BattleFile.Read(bad)).Message);
        var negative = Write("""[{"model_a": "a", "model_b": "b", "winner": "tie", "conv_metadata": {"bold_count_a": -1}}]""");
        Assert.Contains(":1: battle 0: field 'conv_metadata.bold_count_a': not a whole count", Assert.Throws<FormatException>(() => BattleFile.Read(negative)).Message);
    }

    [Fact]
    public void Categories_come_from_the_user_turns_of_conversation_a_or_else_from_language()
    {
        var path = Write("""
            [{"model_a": "a", "model_b": "b", "winner": "tie", "language": "English", "conversation_a": [{"role": "user", "content": "解方程 x + 1 = 2"},
               {"role": "assistant", "content": "x = 1"}, {"role": "user", "content": [ "再写一首诗", {"image": "ignored"} ]}]},
             {"model_a": "a", "model_b": "b", "winner": "tie", "language": "English"},
             {"model_a": "a", "model_b": "b", "winner": "tie"}]
            """);
        var battles = BattleFile.Read(path, readCategories: true);
        Assert.Equal([PromptCategories.Chinese, PromptCategories.Math, PromptCategories.CreativeWriting, PromptCategories.MultiTurn], battles[0].Categories);
        Assert.Equal([PromptCategories.English], battles[1].Categories);
        Assert.Empty(battles[2].Categories!);
        Assert.Null(BattleFile.Read(path)[0].Categories); // not asked for: not read
    }
}
