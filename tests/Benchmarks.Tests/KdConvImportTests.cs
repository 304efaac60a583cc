using System.Text.Json;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Dialogue;
using Evals.Benchmarks.Suites.Import;
using Evals.TestKit;

namespace Evals.Benchmarks.Tests;

/// <summary>`evals import kdconv`: KdConv's dialogues become one item per response turn, its context turns as a conversation.</summary>
public sealed class KdConvImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evals-kdconv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<ChatTurn> Turns(TaskItem item)
    {
        var (turns, problem) = Conversation.Read(item.Fields.GetProperty("messages"));
        Assert.Null(problem);
        return [.. turns!];
    }

    [SharedDatasetsFact("kdconv_travel")]
    public void The_travel_test_split_gives_every_turn_after_the_first_with_at_most_seven_turns_before_it()
    {
        var result = SharedDatasets.Import("kdconv", "kdconv_travel/data/travel");
        Assert.True(result.Succeeded, string.Join('\n', result.Problems));
        var items = result.Task(KdConvReader.TaskName).Items;
        // Counted with Python's json over the same file: 2,813 utterances in 150 dialogues; 1,782 responses carry 1,998 triples.
        Assert.Equal(2663, items.Count);
        Assert.All(items, i => Assert.Equal("test", i.Split));
        Assert.Equal(1782, items.Count(i => i.Fields.GetProperty("knowledge").GetArrayLength() > 0));
        Assert.Equal(1998, items.Sum(i => i.Fields.GetProperty("knowledge").GetArrayLength()));
        Assert.All(items, i =>
        {
            var turns = Turns(i);
            Assert.InRange(turns.Count, 1, KdConvReader.ContextTurns);
            Assert.Null(Conversation.PromptProblem(turns));
        });

        var first = items.Single(i => i.Id == "0-1");
        Assert.Equal([new ChatTurn("user", "知道保利剧院吗？")], Turns(first));
        Assert.Equal("知道呀，是首都重要的演出场所之一。", first.GetString("reference"));
        Assert.Equal("保利剧院", first.GetString("topic"));
        var triple = Assert.Single(first.Fields.GetProperty("knowledge").EnumerateArray().ToList());
        Assert.Equal(["保利剧院", "Information"], triple.EnumerateArray().Take(2).Select(e => e.GetString()));

        // Dialogue 3 (保和殿): the response at turn 10 sees turns 3–9, the user's last; turn 3 answers from one triple.
        var late = items.Single(i => i.Id == "3-10");
        Assert.Equal(["user", "assistant", "user", "assistant", "user", "assistant", "user"], Turns(late).Select(t => t.Role));
        Assert.Equal("1小时。", Turns(late)[0].Content);
        Assert.Equal("而且它还是免费的游玩景点，很划算。", Turns(late)[^1].Content);
        Assert.Equal("开放时间有限制吗？", late.GetString("reference"));
        Assert.Equal(0, late.Fields.GetProperty("knowledge").GetArrayLength());
        var grounded = items.Single(i => i.Id == "3-3");
        Assert.Equal(["user", "assistant", "user"], Turns(grounded).Select(t => t.Role));
        Assert.Equal("""[["保和殿","建议游玩时间","1小时"]]""", grounded.Fields.GetProperty("knowledge").GetRawText());
    }

    [Fact]
    public void Malformed_dialogues_are_refused_with_file_line_and_field_and_nothing_is_imported()
    {
        var file = Path.Combine(_dir, "test.json");
        File.WriteAllText(file, """
            [
              {"name": "故宫", "messages": [{"message": "知道故宫吗？"}, {"message": "知道。", "attrs": [{"name": "故宫", "attrname": "门票", "attrvalue": "60元"}]}]},
              {"name": "长城", "messages": [
                {"message": "知道长城吗？"},
                {"message": ""},
                {"message": "好的", "attrs": [{"name": "长城", "attrname": 5, "attrvalue": "x"}]}
              ]},
              {"name": "天坛", "messages": [{"message": "只有一句"}]},
              {"messages": [{"message": "a"}, {"message": "b"}]},
              [1, 2]
            ]
            """);
        var result = ImportFormats.Get("kdconv").Read(_dir);
        Assert.False(result.Succeeded);
        Assert.Empty(result.Tasks);
        Assert.Equal(
        [
            $"{file}:5: field 'messages[1].message': empty",
            $"{file}:6: field 'messages[2].attrs[0]': expected an object with string name, attrname and attrvalue",
            $"{file}:8: field 'messages': 1 turn(s); a dialogue needs two or more",
            $"{file}:9: field 'name': missing or not a string",
            $"{file}:10: $[4]: expected an object with name and messages",
        ], result.Problems.Select(p => p.ToString()));

        var lenient = ImportFormats.Get("kdconv").Read(_dir, skipBad: true);
        Assert.True(lenient.Succeeded);
        Assert.Equal(["0-1"], lenient.Task(KdConvReader.TaskName).Items.Select(i => i.Id));
    }

    [Fact]
    public void A_file_that_is_not_json_or_not_there_refuses_the_import_even_with_skip_bad()
    {
        File.WriteAllText(Path.Combine(_dir, "test.json"), "[{\"name\": \"故宫\",\n \"messages\": [}");
        var broken = ImportFormats.Get("kdconv").Read(_dir, skipBad: true);
        Assert.False(broken.Succeeded);
        Assert.StartsWith($"{Path.Combine(_dir, "test.json")}:2: ", broken.Problems.Single().ToString());
        var missing = ImportFormats.Get("kdconv").Read(Path.Combine(_dir, "nowhere"));
        Assert.False(missing.Succeeded);
        Assert.Contains("no such file", missing.Problems.Single().ToString());
    }

    [Fact]
    public void The_cuge_kdconv_manifest_declares_a_multi_turn_generation_task_filled_by_this_import()
    {
        var path = Path.Combine(SharedDatasets.RepositoryRoot, "datasets", "cuge", "kdconv", "task.json");
        var manifest = TaskLoader.ReadManifest(path);
        Assert.Equal("kdconv", manifest.Name);
        Assert.Equal("generation", manifest.Kind);
        // The generation kind takes conversations, so the manifest builds a task (with no items yet).
        Assert.Equal("cuge/kdconv", TaskKinds.Create("cuge", manifest, []).FullName);
        Assert.Equal("reference", manifest.AnswerField);
        Assert.Equal("bleu", manifest.Metric);
        Assert.Equal("messages", manifest.MessagesField);
        Assert.Equal("", manifest.Template);
        Assert.Equal(["对话交互"], manifest.Capabilities);   // CUGE's dialogue capability
        Assert.Equal("kdconv", manifest.Source!.Format);
        Assert.Equal(KdConvReader.TaskName, manifest.Source.Task ?? manifest.Name);
        Assert.IsType<KdConvReader>(ImportFormats.Get(manifest.Source.Format));
        Assert.Equal(KdConvReader.Split, manifest.EvalSplit);
        Assert.Equal("data/test.jsonl", manifest.Files[manifest.EvalSplit]);
        using var tree = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedDatasets.RepositoryRoot, "datasets", "capabilities.json")));
        Assert.Contains("语言生成", tree.RootElement.GetProperty("capabilities").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
    }
}
