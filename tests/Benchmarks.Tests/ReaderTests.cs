using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Tests;

/// <summary>Every reader against the real shared files: the counts are those stated in each folder's SOURCE.md.</summary>
public class ReaderTests
{
    private static ImportResult Import(string format, string relative)
    {
        var result = SharedDatasets.Import(format, relative);
        Assert.True(result.Succeeded, string.Join('\n', result.Problems));
        Assert.Empty(result.Problems);
        return result;
    }

    [SharedDatasetsFact("clue_afqmc")]
    public void Afqmc_dev_has_4316_items_with_string_labels()
    {
        var folder = "clue_afqmc";
        var task = Import("afqmc", folder).Task("afqmc");
        Assert.Equal(["dev"], task.Splits);
        Assert.Equal(4316, task.Count("dev"));
        Assert.Equal(2978, task.Items.Count(i => i.GetString("label") == "0"));
        Assert.Equal(1338, task.Items.Count(i => i.GetString("label") == "1"));
        Assert.Equal("双十一花呗提额在哪", task.Items[0].GetString("sentence1"));
        Assert.Equal("0", task.Items[0].Id);
    }

    [SharedDatasetsFact("clue_ocnli")]
    public void Ocnli_dev_has_2950_scorable_items_and_leaves_out_the_dash_labels()
    {
        var folder = "clue_ocnli";
        var result = Import("ocnli", folder);
        var task = result.Task("ocnli");
        Assert.Equal(2950, task.Count("dev"));
        Assert.Equal(1103, task.Items.Count(i => i.GetString("label") == "neutral"));
        Assert.Equal(947, task.Items.Count(i => i.GetString("label") == "entailment"));
        Assert.Equal(900, task.Items.Count(i => i.GetString("label") == "contradiction"));
        Assert.Contains(result.Notes, n => n.Contains("50 items labelled '-'", StringComparison.Ordinal));
    }

    [SharedDatasetsTheory("fewclue")]
    [InlineData("tnews", 1098, 2010, 15)]
    [InlineData("iflytek", 1373, 1749, 117)]
    [InlineData("csl", 160, 2838, 2)]
    [InlineData("cluewsc", 159, 976, 2)]
    [InlineData("chid", 202, 2002, 7)]
    public void Fewclue_tasks_have_their_published_counts(string format, int dev, int test, int labels)
    {
        var folder = Path.Combine("fewclue", format);
        var task = Import(format, folder).Task(format);
        Assert.Equal(["dev_few_all", "test_public"], task.Splits);
        Assert.Equal(dev, task.Count("dev_few_all"));
        Assert.Equal(test, task.Count("test_public"));
        var labelField = format == "chid" ? "answer" : "label";
        Assert.Equal(labels, task.Items.Select(i => i.GetString(labelField)).Distinct().Count());
    }

    [SharedDatasetsFact("fewclue/tnews")]
    public void Tnews_integer_labels_are_stored_as_strings()
    {
        var folder = "fewclue/tnews";
        var task = Import("tnews", folder).Task("tnews");
        Assert.All(task.Items, i => Assert.Equal(System.Text.Json.JsonValueKind.String, i.Fields.GetProperty("label").ValueKind));
        Assert.Equal(134, task.Items.Count(i => i.Split == "test_public" && i.GetString("label") == "100"));
    }

    [SharedDatasetsFact("fewclue/chid")]
    public void Chid_items_have_seven_candidates_and_one_blank()
    {
        var folder = "fewclue/chid";
        var task = Import("chid", folder).Task("chid");
        var first = task.Items[0];
        Assert.Equal("1500", first.Id);
        Assert.Equal(7, first.Fields.GetProperty("candidates").GetArrayLength());
        Assert.Contains("____", first.GetString("content_blank"));
        Assert.Equal("2", first.GetString("answer"));
    }

    [SharedDatasetsFact("cmrc2018")]
    public void Cmrc2018_dev_has_3219_questions_each_with_three_references()
    {
        var folder = "cmrc2018";
        var task = Import("cmrc2018", folder).Task("cmrc2018");
        Assert.Equal(3219, task.Count("dev"));
        Assert.Equal(848, task.Items.Select(i => i.GetString("context")).Distinct().Count());
        Assert.All(task.Items, i => Assert.Equal(3, i.Fields.GetProperty("answers").GetArrayLength()));
        Assert.Equal("DEV_0_QUERY_0", task.Items[0].Id);
        Assert.Equal("光荣和ω-force", task.Items[0].Fields.GetProperty("answers")[0].GetString());
    }

    [SharedDatasetsFact("c3")]
    public void C3_dev_has_3816_questions_from_both_files()
    {
        var folder = "c3";
        var task = Import("c3", folder).Task("c3");
        Assert.Equal(3816, task.Count("dev"));
        Assert.Equal(1825, task.Items.Count(i => i.GetString("source") == "d"));
        Assert.Equal(1991, task.Items.Count(i => i.GetString("source") == "m"));
        var first = task.Items.First(i => i.GetString("source") == "d");
        Assert.Equal("d-47-275-0", first.Id);
        Assert.Equal("2", first.GetString("answer_index"));
        Assert.Equal(170, task.Items.Count(i => i.Fields.GetProperty("choice").GetArrayLength() == 2));
    }

    [SharedDatasetsFact("ceval")]
    public void Ceval_has_52_subjects_with_1346_val_and_260_dev_questions()
    {
        var folder = "ceval";
        var result = Import("ceval", folder);
        Assert.Equal(52, result.Tasks.Count);
        Assert.Equal(1346, result.Tasks.Sum(t => t.Count("val")));
        Assert.Equal(260, result.Tasks.Sum(t => t.Count("dev")));
        Assert.All(result.Tasks, t => Assert.Equal(5, t.Count("dev")));
        var byCategory = result.Tasks.GroupBy(t => t.Metadata["category"]).ToDictionary(g => g.Key, g => (Subjects: g.Count(), Val: g.Sum(t => t.Count("val"))));
        Assert.Equal((20, 430), byCategory["STEM"]);
        Assert.Equal((10, 275), byCategory["Social Science"]);
        Assert.Equal((11, 257), byCategory["Humanities"]);
        Assert.Equal((11, 384), byCategory["Other"]);
        var network = result.Task("computer_network");
        Assert.Equal("计算机网络", network.Metadata["name_zh"]);
        var row0 = network.Items.First(i => i.Split == "val");
        Assert.StartsWith("使用位填充方法", row0.GetString("question"));
        Assert.Equal("C", row0.GetString("answer"));
        // dev explanations carry newlines inside quoted fields
        Assert.Contains(result.Tasks.SelectMany(t => t.Items), i => i.GetString("explanation")?.Contains('\n') == true);
        var answers = result.Tasks.SelectMany(t => t.Items).GroupBy(i => i.GetString("answer")).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["A"] = 361, ["B"] = 416, ["C"] = 405, ["D"] = 424 }, answers);
    }

    [SharedDatasetsFact("cmmlu")]
    public void Cmmlu_has_67_dev_subjects_and_7_test_subjects()
    {
        var folder = "cmmlu";
        var result = Import("cmmlu", folder);
        Assert.Equal(67, result.Tasks.Count);
        Assert.Equal(335, result.Tasks.Sum(t => t.Count("dev")));
        Assert.Equal(1174, result.Tasks.Sum(t => t.Count("test")));
        Assert.Equal(323, result.Task("chinese_history").Count("test"));
        var answers = result.Tasks.SelectMany(t => t.Items).GroupBy(i => i.GetString("Answer")).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["A"] = 382, ["B"] = 372, ["C"] = 360, ["D"] = 395 }, answers);
        Assert.Equal("0", result.Task("agronomy").Items[0].Id);
    }
}
