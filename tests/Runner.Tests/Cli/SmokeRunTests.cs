using System.Text.Json;
using Evals.TestKit;

namespace Evals.Runner.Tests.Cli;

/// <summary>The end-to-end path through the real CLI, a worker hosted by `run --wait`, and PostgreSQL.</summary>
[Collection(ProcessTests.Name)]
public sealed class SmokeRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("baseline:majority")]
    [InlineData("baseline:first")]
    public async Task Run_wait_json_scores_equal_a_hand_count_of_the_data_files(string spec)
    {
        var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "out.json");
        var result = await CliProcess.RunAsync(RunnerEnvironment.For(database.ConnectionString), TimeSpan.FromMinutes(3),
            "run", "--model", spec, "--suite", "smoke", "--wait", "--json", json);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        var root = summary.RootElement;
        Assert.Equal("succeeded", root.GetProperty("status").GetString());
        Assert.Equal(spec, root.GetProperty("model").GetString());
        var expected = HandCount(spec == "baseline:first" ? FirstChoice : MajorityChoice);
        var tasks = root.GetProperty("tasks");
        Assert.Equal(expected.Keys.Order(), tasks.EnumerateObject().Select(t => t.Name).Order());
        foreach (var (task, (correct, n, _)) in expected)
        {
            var score = tasks.GetProperty(task);
            Assert.Equal(n, score.GetProperty("n").GetInt32());
            Assert.Equal(correct, score.GetProperty("outcomes").GetProperty("correct").GetInt32());
            Assert.Equal(Math.Round(100.0 * correct / n, 4), score.GetProperty("score").GetDouble(), 4);
        }
        Assert.Equal(Math.Round(expected.Values.Average(v => 100.0 * v.Correct / v.N), 4), root.GetProperty("tasks_mean").GetDouble(), 3);
        // Each smoke task is its own capability in datasets/capabilities.json: overall is the mean of the tasks'
        // scores normalised against chance (one over the number of choices).
        var normalised = expected.Values.Select(v => (Score: 100.0 * v.Correct / v.N, Chance: 100.0 / v.Choices)).Select(v => 100 * (v.Score - v.Chance) / (100 - v.Chance));
        Assert.Equal(normalised.Average(), root.GetProperty("overall").GetDouble(), 3);
    }

    [Fact]
    public async Task Runs_show_with_a_reference_scores_each_task_as_a_percentage_of_the_references_hand_count()
    {
        var environment = RunnerEnvironment.For(database.ConnectionString);
        async Task<string> RunId(string spec)
        {
            var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "out.json");
            var result = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(3), "run", "--model", spec, "--suite", "smoke", "--wait", "--json", json);
            Assert.True(result.ExitCode == 0, result.ToString());
            using var document = JsonDocument.Parse(File.ReadAllText(json));
            return document.RootElement.GetProperty("run_id").GetString()!;
        }
        var reference = await RunId("baseline:first");
        var candidate = await RunId("baseline:majority");
        {
            // The reference is named by its model's name: its latest succeeded run on the suite.
            var shown = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(1), "runs", "show", candidate, "--json", "--reference", "baseline:first");
            Assert.True(shown.ExitCode == 0, shown.ToString());
            using var summary = JsonDocument.Parse(shown.StdOut);
            var root = summary.RootElement;
            Assert.Equal("reference", root.GetProperty("normalisation").GetString());
            Assert.Equal(reference, root.GetProperty("reference").GetProperty("run_id").GetString());

            var majority = HandCount(MajorityChoice);
            var first = HandCount(FirstChoice);
            var relative = new List<double>();
            foreach (var (task, (correct, n, _)) in majority)
            {
                var reference100 = 100.0 * first[task].Correct / first[task].N;
                var score = root.GetProperty("tasks").GetProperty(task);
                Assert.Equal(reference100, score.GetProperty("reference_score").GetDouble(), 3);
                if (reference100 == 0) continue;
                relative.Add(100 * (100.0 * correct / n) / reference100);
                Assert.Equal(relative[^1], score.GetProperty("relative").GetDouble(), 3);
            }
            // Each smoke task is its own capability: overall is the mean of the percentages.
            Assert.Equal(relative.Average(), root.GetProperty("overall").GetDouble(), 3);

            var unknown = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(1), "runs", "show", candidate, "--reference", "no-such-model");
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("--reference: model 'no-such-model' has no succeeded run on suite 'smoke'", unknown.StdErr);
        }
    }

    private static int FirstChoice(List<string> trainAnswers, IReadOnlyList<string> choices) => 0;

    private static int MajorityChoice(List<string> trainAnswers, IReadOnlyList<string> choices)
    {
        var counts = trainAnswers.GroupBy(a => a).Select(g => (Answer: g.Key, Count: g.Count())).ToList();
        var max = counts.Max(c => c.Count);
        return counts.Where(c => c.Count == max).Select(c => IndexOf(c.Answer, choices)).Min();
    }

    private static int IndexOf(string answer, IReadOnlyList<string> choices) =>
        answer.Length == 1 && char.IsAsciiLetterUpper(answer[0]) && choices.Count > 0 && choices[0] == "A" ? answer[0] - 'A' : choices.ToList().IndexOf(answer);

    /// <summary>Counts, straight from the JSON Lines files, how many test answers the baseline's fixed pick gets right.</summary>
    private static Dictionary<string, (int Correct, int N, int Choices)> HandCount(Func<List<string>, IReadOnlyList<string>, int> pick)
    {
        var result = new Dictionary<string, (int, int, int)>();
        foreach (var folder in Directory.GetDirectories(Path.Combine(RepoPaths.Datasets, "smoke")))
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "task.json")));
            var m = manifest.RootElement;
            var answerField = m.GetProperty("answer_field").GetString()!;
            // Choice order as the model sees it: label values for classification, letters for multiple choice.
            IReadOnlyList<string> choices = m.TryGetProperty("labels", out var labels)
                ? labels.EnumerateArray().Select(l => l.GetProperty("value").GetString()!).ToList()
                : ["A", "B", "C", "D"];
            string Answer(string line) => JsonDocument.Parse(line).RootElement.GetProperty(answerField).GetString()!;
            var train = File.ReadAllLines(Path.Combine(folder, "train.jsonl")).Where(l => l.Trim().Length > 0).Select(Answer).ToList();
            var test = File.ReadAllLines(Path.Combine(folder, "test.jsonl")).Where(l => l.Trim().Length > 0).Select(Answer).ToList();
            var picked = pick(train, choices);
            result[$"smoke/{Path.GetFileName(folder)}"] = (test.Count(a => IndexOf(a, choices) == picked), test.Count, choices.Count);
        }
        return result;
    }
}
