using System.Text.Json;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Import;
using Evals.Benchmarks.Suites.Maths;

namespace Evals.Benchmarks.Tests.Maths;

/// <summary>The numeric_answer kind with the shipped manifests of suite <c>math</c>, and the CMATH and MGSM imports.</summary>
public sealed class MathSuiteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evals-math-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TaskManifest Manifest(string task) => JsonSerializer.Deserialize<TaskManifest>(
        File.ReadAllText(Path.Combine(SharedDatasets.RepositoryRoot, "datasets", "math", task, "task.json")), TaskManifest.Json)!;

    private static TaskItem Item(string id, string json) => new(id, "dev", 0, JsonDocument.Parse(json).RootElement.Clone());

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Cmath_items_are_scored_with_its_tolerance_and_carry_their_grade()
    {
        var items = new[]
        {
            Item("1", """{"id": "1", "grade": 3, "input": "一根绳子长 1 米，平均分成 3 段，每段长多少米？", "golden": "1/3"}"""),
            Item("2", """{"id": "2", "grade": 1, "input": "芳芳买了一本书有99页，看了90页，她还剩多少页没有看？", "golden": "9"}"""),
        };
        var task = (NumericAnswerTask)TaskKinds.Create("math", Manifest("cmath"), items);
        Assert.All(items, i => Assert.Null(task.Validate(i)));
        Assert.Empty(task.DefaultStopSequences); // the reasoning spans lines

        var third = task.Prepare(items[0], 0);
        Assert.StartsWith("一根绳子长 1 米", third.Prompt);
        Assert.Contains("答案是：", third.Prompt);
        Assert.Equal("1/3", third.Reference);
        var rounded = task.ScoreGeneration(third, "1÷3≈0.333（米）。答案是：0.333");
        Assert.Equal((Outcome.Correct, "0.333", "answer_phrase", "3"), (rounded.Outcome, rounded.Parsed, rounded.Rule, rounded.Group));
        Assert.Equal(Outcome.Wrong, task.ScoreGeneration(third, "答案是：0.3").Outcome); // 0.033 / 0.3 = 11% off

        var nine = task.Prepare(items[1], 0);
        Assert.Equal(Outcome.Correct, task.ScoreGeneration(nine, "99-90=9，所以还剩9页。").Outcome);
        var missing = task.ScoreGeneration(nine, "她还有一些页没看。");
        Assert.Equal((Outcome.Unparseable, 0.0, "no_number", "1"), (missing.Outcome, missing.Score, missing.Rule, missing.Group));
    }

    [Fact]
    public void Mgsm_answers_are_exact_integers_and_a_gold_with_thousands_separators_is_its_number()
    {
        var item = Item("3", """{"id": "3", "question": "他赚了多少利润？", "answer": "70,000"}""");
        var task = (NumericAnswerTask)TaskKinds.Create("math", Manifest("mgsm_zh"), [item]);
        var prepared = task.Prepare(item, 0);
        Assert.Equal(Outcome.Correct, task.ScoreGeneration(prepared, "利润 = 200000 - 130000 = 70000 美元\n答案：70000").Outcome);
        Assert.Equal(Outcome.Correct, task.ScoreGeneration(prepared, "答案：70,000.00").Outcome);
        Assert.Equal(Outcome.Wrong, task.ScoreGeneration(prepared, "答案：70001").Outcome);
        Assert.Null(task.ScoreGeneration(prepared, "答案：70000").Group); // no breakdown_field
    }

    [Fact]
    public void Majority_vote_groups_answers_by_value_and_breaks_ties_by_the_first_sample()
    {
        var item = Item("1", """{"id": "1", "grade": 2, "input": "半个蛋糕是几分之几？", "golden": "1/2"}""");
        var task = (NumericAnswerTask)TaskKinds.Create("math", Manifest("cmath"), [item]);
        var prepared = task.Prepare(item, 0);
        // 0.5, 1/2 and 50% are one value (3 votes) against 2 votes for 0.25 and one unparseable sample, which does not vote.
        var vote = task.ScoreMajority(prepared, ["答案是：0.25", "答案是：0.5", "答案是 1/2", "我不会", "答案是：0.25", "答案是50%"]);
        Assert.Equal((Outcome.Correct, "0.5", "majority_of_6", "2"), (vote.Outcome, vote.Parsed, vote.Rule, vote.Group));
        // 2 against 2: the value answered first wins.
        Assert.Equal(("0.25", Outcome.Wrong), (task.ScoreMajority(prepared, ["答案是 0.25", "答案是 0.5", "答案是 0.5", "答案是 1/4"]) is var tie ? (tie.Parsed, tie.Outcome) : default));
        Assert.Equal(Outcome.Unparseable, task.ScoreMajority(prepared, ["不会", "不知道"]).Outcome);
    }

    [Fact]
    public void A_gold_that_is_not_a_number_and_a_missing_grade_are_refused_naming_the_field()
    {
        var task = TaskKinds.Create("math", Manifest("cmath"), []);
        Assert.Equal("field 'golden': expected one number (e.g. 18, 2,125, 48.1, 2/6, 12%), found '约 5'",
            task.Validate(Item("1", """{"grade": 1, "input": "x", "golden": "约 5"}""")));
        Assert.Equal("field 'grade': named by breakdown_field but missing or empty", task.Validate(Item("1", """{"input": "x", "golden": "5"}""")));
        Assert.Throws<TaskDataException>(() => TaskKinds.Create("math", Manifest("cmath") with { Tolerance = 1.5 }, []));
    }

    [Fact]
    public void Malformed_cmath_lines_are_refused_with_file_line_and_field()
    {
        var file = Write("cmath/datasets/cmath_dev.jsonl", string.Join('\n',
            """{"grade": 1, "input": "1+1等于几？", "golden": "2", "reasoning_step": 1, "num_digits": 1}""",
            """{"grade": 7, "input": "题", "golden": "2"}""",
            """{"grade": 2, "input": "题", "golden": "两三个"}""",
            """{"grade": 2, "golden": "3"}""",
            "{\"grade\": 2, \"input\": \"题\""));
        var result = ImportFormats.Get("cmath").Read(Path.Combine(_dir, "cmath"));
        Assert.False(result.Succeeded);
        Assert.Empty(result.Tasks);
        var lines = result.Problems.Select(p => p.ToString()).ToList();
        Assert.Equal($"{file}:2: field 'grade': 7 is not a school grade 1..6", lines[0]);
        Assert.Equal($"{file}:3: field 'golden': '两三个' is not one number", lines[1]);
        Assert.Equal($"{file}:4: field 'input': missing", lines[2]);
        Assert.StartsWith($"{file}:5: not valid JSON", lines[3]);
        Assert.Equal(4, lines.Count);
        var skipping = ImportFormats.Get("cmath").Read(Path.Combine(_dir, "cmath"), skipBad: true);
        Assert.Equal(["1"], skipping.Task("cmath").Items.Select(i => i.Id));
    }

    [Fact]
    public void Malformed_mgsm_lines_are_refused_with_file_line_and_field()
    {
        var file = Write("mgsm/mgsm_zh.tsv", "一共多少？\t18\n只有问题\n问题\t3.5\n问题\t18\t多余\n\t4\n");
        var result = ImportFormats.Get("mgsm").Read(_dir);
        Assert.False(result.Succeeded);
        Assert.Equal(
        [
            $"{file}:2: expected 2 tab-separated columns (question, answer), found 1",
            $"{file}:3: field 'answer': '3.5' is not an integer",
            $"{file}:4: expected 2 tab-separated columns (question, answer), found 3",
            $"{file}:5: field 'question': empty",
        ], result.Problems.Select(p => p.ToString()));
        Assert.StartsWith($"{Path.Combine(_dir, "nothing")}: no mgsm_zh.tsv found", ImportFormats.Get("mgsm").Read(Path.Combine(_dir, "nothing")).Problems.Single().ToString());
    }

    [SharedDatasetsFact("cmath")]
    public void Cmath_dev_has_600_problems_100_per_grade_all_valid_for_the_manifest()
    {
        var result = SharedDatasets.Import("cmath", "cmath");
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var items = result.Task("cmath").Items;
        Assert.Equal(600, items.Count(i => i.Split == "dev"));
        Assert.All(Enumerable.Range(1, 6), g => Assert.Equal(100, items.Count(i => i.GetString("grade") == g.ToString())));
        var task = TaskKinds.Create("math", Manifest("cmath"), items);
        Assert.All(items, i => Assert.Null(task.Validate(i)));
        // SOURCE.md: 517 integer golds, 83 decimals, fractions and percentages.
        Assert.Equal(517, items.Count(i => NumberScanner.ParseWhole(i.GetString("golden")!)!.IsInteger));
    }

    [SharedDatasetsFact("mgsm_zh")]
    public void Mgsm_zh_has_250_problems_with_integer_answers()
    {
        var result = SharedDatasets.Import("mgsm", "mgsm_zh");
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var items = result.Task("mgsm_zh").Items;
        Assert.Equal(250, items.Count);
        Assert.Equal(18, NumberScanner.ParseWhole(items[0].GetString("answer")!)!.Value);
        Assert.Equal(4, items.Count(i => i.GetString("answer")!.Contains(','))); // 2,125 / 114,200 / 276,000 / 5,600
        var task = TaskKinds.Create("math", Manifest("mgsm_zh"), items);
        Assert.All(items, i => Assert.Null(task.Validate(i)));
    }
}
