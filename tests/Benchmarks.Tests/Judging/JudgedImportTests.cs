using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Import;
using Evals.Benchmarks.Suites.Judged;
using Evals.TestKit;

namespace Evals.Benchmarks.Tests.Judging;

/// <summary>`evals import alignbench / mt_bench / mt_bench_zh` from the shared files: the counts of their SOURCE.md, the suites load, the judge prompts.</summary>
public sealed class JudgedImportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("evals-judged-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private SuiteDefinition ImportAndLoad(string format, string shared)
    {
        var result = SharedDatasets.Import(format, shared);
        Assert.True(result.Succeeded, string.Join('\n', result.Problems));
        Assert.Empty(result.Problems);
        var reader = ImportFormats.Get(format);
        var source = Path.Combine(SharedDatasets.RepositoryRoot, "datasets", reader.DefaultSuite);
        var target = Path.Combine(_root, reader.DefaultSuite);
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(source, SuiteManifest.FileName), Path.Combine(target, SuiteManifest.FileName));
        var catalog = new SuiteCatalog(_root);
        var plan = ImportPlan.For(catalog.Manifests(reader.DefaultSuite), result);
        Assert.Empty(plan.Unplaced);
        foreach (var write in plan.Writes)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(write.Path)!);
            File.WriteAllText(write.Path, write.JsonLines);
        }
        return catalog.Load(reader.DefaultSuite);
    }

    [SharedDatasetsFact("alignbench")]
    public void Alignbench_gives_683_questions_per_version_in_its_eight_categories_with_their_dimensions()
    {
        var suite = ImportAndLoad("alignbench", "alignbench");
        var counts = suite.Tasks.ToDictionary(t => t.Task.Manifest.Name, t => t.Task.EvalItems.Count());
        // SOURCE.md (= AlignBench's README table): 专业能力 124, 角色扮演 116, 数学计算 112, 逻辑推理 92, 文本写作 75, 基本任务 68, 中文理解 58, 综合问答 38.
        Assert.Equal(new Dictionary<string, int>
        {
            ["professional"] = 124, ["roleplay"] = 116, ["math"] = 112, ["reasoning"] = 92,
            ["writing"] = 75, ["fundamental"] = 68, ["understanding"] = 58, ["open_qa"] = 38,
        }, counts);
        Assert.Equal(683, suite.Tasks.Sum(t => t.Task.Items.Count(i => i.Split == "v1_0")));

        var professional = (JudgedSingleTask)suite.Tasks.Single(t => t.Task.Manifest.Name == "professional").Task;
        var first = professional.EvalItems.Single(i => i.Id == "1");
        // Question 1 is 音乐 → 事实与解释型回答 → its four dimensions, as judge.py resolves them.
        Assert.Equal(["事实正确性", "满足用户需求", "清晰度", "完备性"], professional.Dimensions(first).Select(d => d.Name));
        Assert.Equal("回答是否表达清晰、易懂，是否使用了简洁的语言和结构，以便用户可以轻松理解。", professional.Dimensions(first)[2].Definition);
        var prepared = professional.Prepare(first, 0);
        Assert.Null(prepared.Messages);
        Assert.StartsWith("高音单簧管和高音萨克斯的调性相同吗", prepared.Prompt);
        var judge = Assert.Single(professional.JudgeMessages(first, 1, ["不同。"]));
        Assert.Equal(Conversation.User, judge.Role);
        Assert.Contains("你评估的回答类型是专业能力", judge.Content);
        Assert.Contains("3. 清晰度: 回答是否表达清晰", judge.Content);
        Assert.Contains("[参考答案开始]\n高音单簧管和高音萨克斯的调性不同。", judge.Content);
        Assert.Contains("[助手的答案开始]\n不同。\n[助手的答案结束]", judge.Content);
        Assert.Equal(SingleGradePrompts.AlignBenchVersion, professional.PromptVersion);
        Assert.Equal(["推理", "数学计算"], suite.Tasks.Single(t => t.Task.Manifest.Name == "math").Task.Manifest.Categories);
    }

    [SharedDatasetsTheory("mt_bench", "mt_bench_zh")]
    [InlineData("mt_bench", "mt_bench", 30)]
    [InlineData("mt_bench_zh", "mt_bench_zh", 80)]
    public void Mt_bench_gives_80_two_turn_questions_ten_per_category_with_the_judges_references(string format, string shared, int withReference)
    {
        var suite = ImportAndLoad(format, shared);
        Assert.Equal(8, suite.Tasks.Count);
        Assert.All(suite.Tasks, t => Assert.Equal(10, t.Task.EvalItems.Count()));
        var tasks = suite.Tasks.Select(t => (JudgedSingleTask)t.Task).ToList();
        Assert.All(tasks.SelectMany(t => t.EvalItems.Select(i => t.Turns(i))), turns => Assert.Equal(2, turns.Count));
        Assert.Equal(withReference, tasks.Sum(t => t.EvalItems.Count(i => t.References(i) is { Count: 2 })));

        var math = tasks.Single(t => t.Manifest.Name == "math");
        var item = math.EvalItems.First();
        var prepared = math.Prepare(item, 0);
        Assert.Equal([new ChatTurn(Conversation.User, math.Turns(item)[0])], prepared.Messages);
        // Math is judged against the reference: turn 2 sees the reference conversation, then the assistant's.
        var second = math.JudgeMessages(item, 2, ["a1", "a2"]);
        Assert.Equal([Conversation.System, Conversation.User], second.Select(t => t.Role));
        Assert.Contains("focus on the assistant's answer to the second question", second[0].Content);
        Assert.Contains("### Reference answer:\n" + math.References(item)![1], second[1].Content);
        Assert.Contains("### Assistant A:\na2", second[1].Content);
        Assert.Equal(format == "mt_bench_zh", second[0].Content.Contains("the language in use (i.e., English or Chinese)"));
        var writing = tasks.Single(t => t.Manifest.Name == "writing");
        var first = writing.JudgeMessages(writing.EvalItems.First(), 1, ["a1"]);
        Assert.DoesNotContain("Reference", first[1].Content);
        Assert.Contains("Rating: [[5]]", first[1].Content);
    }
}
