using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Reading;

namespace Evals.Benchmarks.Tests;

/// <summary>The shipped manifests, expanded and filled with the shared official files as an import would.</summary>
public class SuiteTests(ImportedSuitesFixture fixture) : IClassFixture<ImportedSuitesFixture>
{
    [Fact]
    public void Ceval_suite_expands_one_task_per_subject_with_its_chinese_name_and_category()
    {
        var manifests = fixture.Catalog.Manifests("ceval");
        Assert.Equal(52, manifests.Count);
        var network = manifests.Single(m => m.Manifest.Name == "computer_network").Manifest;
        Assert.Equal("以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。", network.Instruction);
        Assert.Equal(["STEM"], network.Categories);
        Assert.Equal("data/computer_network/val.jsonl", network.Files["val"]);
        Assert.Equal(new ImportSource("ceval", "computer_network", network.Source!.Obtain, "CC BY-NC-SA 4.0"), network.Source);
        Assert.Equal(8, manifests.Count(m => m.Manifest.Categories.Contains("Hard")));
        Assert.Equal([20, 10, 11, 11], new[] { "STEM", "Social Science", "Humanities", "Other" }.Select(c => manifests.Count(m => m.Manifest.Categories.Contains(c))));
    }

    [SharedDatasetsFact("ceval")]
    public void Ceval_subject_table_equals_the_official_subject_mapping()
    {
        var folder = SharedDatasets.Get("ceval");
        using var mapping = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "subject_mapping.json")));
        var official = mapping.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()).ToList());
        var shipped = SuiteManifest.Read(Path.Combine(SharedDatasets.RepositoryRoot, "datasets", "ceval", SuiteManifest.FileName));
        Assert.Equal(official.Keys.Order(), shipped.Subjects.Keys.Order());
        Assert.All(official, o => Assert.Equal(o.Value, [shipped.Subjects[o.Key].NameEn, shipped.Subjects[o.Key].NameZh, shipped.Subjects[o.Key].Categories![0]]));
    }

    [Fact]
    public void Cmmlu_suite_covers_the_67_published_subjects_with_overlapping_china_specific()
    {
        var manifests = fixture.Catalog.Manifests("cmmlu");
        Assert.Equal(67, manifests.Count);
        var history = manifests.Single(m => m.Manifest.Name == "chinese_history").Manifest;
        Assert.Equal(["Humanities", "China specific"], history.Categories);
        Assert.Equal("以下是关于中国历史的单项选择题，请直接给出正确答案的选项。", history.Instruction);
        Assert.Equal(15, manifests.Count(m => m.Manifest.Categories.Contains("China specific")));
        Assert.All(manifests, m => Assert.Single(m.Manifest.Categories, c => c != "China specific"));
    }

    [SharedDatasetsFact("cmmlu/dev")]
    public void Cmmlu_subjects_are_the_official_dev_files()
    {
        var dev = SharedDatasets.Get("cmmlu/dev");
        Assert.Equal(Directory.GetFiles(dev).Select(Path.GetFileNameWithoutExtension).Order(), fixture.Catalog.Manifests("cmmlu").Select(m => m.Manifest.Name).Order());
    }

    [Fact]
    public void A_suite_whose_data_is_not_imported_says_how_to_import_it()
    {
        var empty = Directory.CreateTempSubdirectory("evals-noimport-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(empty, "ceval"));
            File.Copy(Path.Combine(SharedDatasets.RepositoryRoot, "datasets", "ceval", SuiteManifest.FileName), Path.Combine(empty, "ceval", SuiteManifest.FileName));
            var e = Assert.Throws<TaskDataException>(() => new SuiteCatalog(empty).Load("ceval"));
            Assert.Contains("run `evals import ceval --path DIR`", e.Message);
            Assert.Contains("data/accountant/dev.jsonl does not exist", e.Message);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [SharedDatasetsFact]
    public void Imported_clue_suite_loads_every_task_with_the_official_counts()
    {
        fixture.RequireImported();
        Assert.All(fixture.Plans.Values, p => Assert.Empty(p.Unplaced));
        var suite = fixture.Load("clue");
        var counts = suite.Tasks.ToDictionary(t => t.Task.Manifest.Name, t => t.Task.EvalItems.Count());
        Assert.Equal(new Dictionary<string, int>
        {
            ["afqmc"] = 4316, ["c3"] = 3816, ["chid"] = 2002, ["cluewsc"] = 976, ["cmrc2018"] = 3219,
            ["csl"] = 2838, ["iflytek"] = 1749, ["ocnli"] = 2950, ["tnews"] = 2010,
        }, counts);
        Assert.All(suite.Tasks, t => Assert.Matches("^[0-9a-f]{16}$", t.Version));
    }

    [SharedDatasetsFact]
    public void Majority_and_first_choice_baselines_score_what_the_label_distribution_says()
    {
        fixture.RequireImported();
        var suite = fixture.Load("clue");
        // AFQMC dev: "0" (不同) 2,978 of 4,316; OCNLI dev: neutral 1,103 of 2,950 scorable.
        Assert.Equal(Math.Round(100.0 * 2978 / 4316, 4), ScoreConstant(suite, "afqmc", 0));
        Assert.Equal(Math.Round(100.0 * 1103 / 2950, 4), ScoreConstant(suite, "ocnli", 1));
        // TNEWS test_public is balanced: 134 per class of 2,010.
        Assert.Equal(Math.Round(100.0 * 134 / 2010, 4), ScoreConstant(suite, "tnews", 0));
        // FewCLUE's majority baseline reads the few-shot split: in TNEWS dev_few_all, 101 (文化), 102 and 115 tie at 79 of
        // 1,098 and a tie goes to the lowest choice, 101, the second label of the manifest.
        Assert.Equal(1, suite.Tasks.Single(t => t.Task.Manifest.Name == "tnews").Task.Context.MajorityChoice);
    }

    [SharedDatasetsFact]
    public void Ceval_first_choice_baseline_averages_per_subject_then_per_category_as_the_authors_do()
    {
        fixture.RequireImported();
        var suite = fixture.Load("ceval");
        Assert.Equal(52, suite.Tasks.Count);
        var subjects = suite.Tasks.Select(t => (t.Task.Manifest.Name, (IReadOnlyList<string>)t.Task.Manifest.Categories,
            Accuracy.Compute(t.Task.EvalItems.Select(i => t.Task.ScoreChoices(t.Task.Prepare(i, 0), First(4)).Outcome)).Score)).ToList();
        var averages = CategoryAverages.Compute(subjects);
        // Computed separately from the val CSVs' answer columns: share of 'A' per subject, then means over subjects.
        Assert.Equal(22.262057713720367, averages[CategoryAverages.Overall], 3);
        Assert.Equal(21.252048305251968, averages["STEM"], 3);
        Assert.Equal(24.567586678294482, averages["Social Science"], 3);
        Assert.Equal(23.45281415403651, averages["Humanities"], 3);
        Assert.Equal(20.811746593733933, averages["Other"], 3);
        Assert.Equal(22.779605263157894, averages["Hard"], 3);
    }

    [SharedDatasetsFact]
    public void Ceval_five_shot_prompt_follows_the_official_answer_only_layout()
    {
        fixture.RequireImported();
        var task = fixture.Load("ceval").Tasks.Single(t => t.Task.Manifest.Name == "computer_network").Task;
        var item = task.EvalItems.First();
        var prepared = task.Prepare(item, task.Manifest.Shots);
        var dev = task.FewshotItems.ToList();
        Assert.Equal(5, dev.Count);
        Assert.StartsWith("以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。\n\n" + dev[0].GetString("question") + "\nA. ", prepared.Prompt);
        Assert.EndsWith("使用位填充方法，以01111110为位首flag，数据为011011111111111111110010，求问传送时要添加几个0____\nA. 1\nB. 2\nC. 3\nD. 4\n答案：", prepared.Prompt);
        Assert.Equal(5, prepared.Prompt.Split("\n答案：").Length - 1 - 1);
        Assert.Equal(["A", "B", "C", "D"], prepared.Continuations);
        Assert.Equal(2, prepared.AnswerIndex);
        // identical on a second preparation (another run, another model)
        Assert.Equal(prepared.Prompt, task.Prepare(item, task.Manifest.Shots).Prompt);
    }

    [SharedDatasetsFact]
    public void Cmmlu_loads_the_subjects_whose_test_split_was_imported_and_names_the_rest()
    {
        fixture.RequireImported();
        var (suite, missing) = fixture.Catalog.LoadAvailable("cmmlu");
        Assert.Equal(["agronomy", "chinese_history", "college_mathematics", "economics", "high_school_physics", "logical", "traditional_chinese_medicine"],
            suite.Tasks.Select(t => t.Task.Manifest.Name));
        Assert.Equal(60, missing.Count);
        Assert.Contains("cmmlu/anatomy", missing);
        Assert.Equal(1174, suite.Tasks.Sum(t => t.Task.EvalItems.Count()));
        Assert.Equal(fixture.Load("cmmlu").Version, suite.Version);
    }

    [SharedDatasetsFact]
    public void Cmmlu_prompt_uses_its_official_wording()
    {
        fixture.RequireImported();
        var task = fixture.Load("cmmlu").Tasks.Single(t => t.Task.Manifest.Name == "logical").Task;
        Assert.Equal(123, task.EvalItems.Count());
        var prompt = task.Prepare(task.EvalItems.First(), 1).Prompt;
        Assert.StartsWith("以下是关于逻辑学的单项选择题，请直接给出正确答案的选项。\n\n题目：", prompt);
        Assert.EndsWith("\n答案是：", prompt);
    }

    [SharedDatasetsFact]
    public void Cmrc2018_items_are_scored_by_generation_with_em_and_f1()
    {
        fixture.RequireImported();
        var task = fixture.Load("clue").Tasks.Single(t => t.Task.Manifest.Name == "cmrc2018").Task;
        Assert.False(task.ScoresChoices);
        var prepared = task.Prepare(task.EvalItems.First(), 0);
        Assert.Contains("问题：《战国无双3》是由哪两个公司合作开发的？\n答案：", prepared.Prompt);
        Assert.Empty(prepared.Continuations);

        // The answer phrase and the explanation line go (rule answer_prefix); 。 is the scorer's to delete.
        var exact = task.ScoreGeneration(prepared, "答案：光荣和ω-force。\n因为文中说……");
        Assert.Equal((Outcome.Correct, 100.0, "光荣和ω-force。", "answer_prefix"), (exact.Outcome, exact.Score, exact.Parsed, exact.Rule));

        var partial = task.ScoreGeneration(prepared, "光荣");
        Assert.Equal((Outcome.Wrong, "verbatim"), (partial.Outcome, partial.Rule));
        // [光, 荣] against [光, 荣, 和, ωforce]: P 1, R 2/4 → F1 2/3; the manifest's metric is em
        Assert.Equal(0, partial.Score);
        Assert.Equal(200.0 / 3, partial.Metrics!["f1"], 9);

        // ASCII '.' is not trimmed (the official list does not hold it): no exact match, F1 P 4/5, R 1
        var period = task.ScoreGeneration(prepared, "光荣和ω-force.");
        Assert.Equal((Outcome.Wrong, 0.0), (period.Outcome, period.Score));
        Assert.Equal(100 * 8.0 / 9, period.Metrics!["f1"], 9);

        // An empty reply is the prediction "": scored 0 like any wrong answer, so it stays in the denominator.
        var empty = task.ScoreGeneration(prepared, "  \n ");
        Assert.Equal((Outcome.Wrong, 0.0, "empty"), (empty.Outcome, empty.Score, empty.Rule));
        Assert.Equal(0, empty.Metrics!["f1"]);
    }

    [Theory]
    [InlineData("北京", "北京", "verbatim")]
    [InlineData(" 北京。", " 北京。", "verbatim")]
    [InlineData("答案是：“北京”。", "北京", "answer_prefix_quoted")]
    [InlineData("\n\n答：1.5亿\n解释", "1.5亿", "answer_prefix")]
    [InlineData("原文中的答案是「北京大学」", "北京大学", "answer_prefix_quoted")]
    [InlineData("根据文章，答案是北京", "北京", "answer_prefix")]
    [InlineData("北京\n因为文章第二段说……", "北京", "first_line")]
    [InlineData("\"Beijing\"", "Beijing", "verbatim_quoted")]
    [InlineData("《战国无双3》", "《战国无双3》", "verbatim")]
    [InlineData("“红楼梦”与“西游记”", "“红楼梦”与“西游记”", "verbatim")]
    [InlineData("答辩委员会", "答辩委员会", "verbatim")]
    [InlineData("3.", "3.", "verbatim")]
    [InlineData(" \n ", "", "empty")]
    public void Span_extraction_takes_the_answer_out_of_a_chat_reply_and_names_its_rule(string output, string span, string rule) =>
        Assert.Equal(new SpanExtraction(span, rule), SpanAnswerExtraction.Extract(output));

    private static double ScoreConstant(SuiteDefinition suite, string name, int choice)
    {
        var task = suite.Tasks.Single(t => t.Task.Manifest.Name == name).Task;
        return Accuracy.Compute(task.EvalItems.Select(i =>
        {
            var prepared = task.Prepare(i, 0);
            var scores = new double[prepared.Continuations.Count];
            Array.Fill(scores, -10);
            scores[choice] = -1;
            return task.ScoreChoices(prepared, new Models.ChoiceScores(scores, 0)).Outcome;
        })).Score;
    }

    private static Models.ChoiceScores First(int count) => new([0, .. Enumerable.Repeat(-1.0, count - 1)], 0);
}
