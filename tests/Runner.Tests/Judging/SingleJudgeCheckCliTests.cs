using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Statistics;
using Evals.TestKit;
using Npgsql;

namespace Evals.Runner.Tests.Judging;

/// <summary>
/// <c>judge-check --mode single</c> through the real CLI and PostgreSQL: a grader judging by length against people's
/// grades (a labels file written here: no shared data set publishes per-answer human grades), its Spearman and Kendall
/// tau-b against a hand count, the row stored per judge, prompt version and mode, and the gate: a graded suite refuses a
/// judge with no single check or a failed one, and takes it once it passed.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class SingleJudgeCheckCliTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    // Grades 1 + characters/20; the item with id 8 gets a reply with no rating.
    private const string Judge = "baseline:grader?by=length&garbage_every=8";
    private static readonly int[] Lengths = [10, 30, 50, 70, 90, 130, 150, 250];

    [SharedDatasetsFact("mt_bench_zh")]
    public async Task Single_check_reports_rank_correlations_and_gates_graded_runs()
    {
        var root = Directory.CreateTempSubdirectory("evals-single-check-").FullName;
        try
        {
            // Import writes the items beside the suite's manifest: a copy of it in a folder of the test's own.
            var datasets = Path.Combine(root, "datasets");
            Directory.CreateDirectory(Path.Combine(datasets, "mt_bench_zh"));
            File.Copy(Path.Combine(RepoPaths.Datasets, "mt_bench_zh", "suite.json"), Path.Combine(datasets, "mt_bench_zh", "suite.json"));
            File.Copy(Path.Combine(RepoPaths.Datasets, "capabilities.json"), Path.Combine(datasets, "capabilities.json"));
            var env = RunnerEnvironment.For(database.ConnectionString, datasets);
            var import = await CliProcess.RunAsync(env, Timeout, "import", "mt_bench_zh", "--path", SharedDatasetsRule.Require("mt_bench_zh"));
            Assert.True(import.ExitCode == 0, import.ToString());
            var run = new[] { "run", "--model", "baseline:say?text=ok", "--suite", "mt_bench_zh", "--judge", Judge, "--limit", "1" };

            var unchecked_ = await CliProcess.RunAsync(env, Timeout, run);
            Assert.True(unchecked_.ExitCode == 2, unchecked_.ToString());
            Assert.Contains("has not been checked against labels (single, prompt mt-bench-zh-single-1); run `evals judge-check --mode single --prompt mt_bench_zh", unchecked_.StdErr);

            // People who rank the answers against their length: the check runs, fails, and the run is refused. People 9, 9, 7,
            // 5, 4, 3, 1 against the judge's 1, 2, 3, 4, 5, 7, 8: 20 discordant pairs, one tied in people only: τ_b = −20/√(21·20);
            // ρ from the ranks 6.5, 6.5, 5, 4, 3, 2, 1 = −0.991031.
            var reversed = WriteLabels(root, "reversed.jsonl", [9, 9, 7, 5, 4, 3, 1, 2]);
            var failed = await CliProcess.RunAsync(env, Timeout, "judge-check", "--mode", "single", "--prompt", "mt_bench_zh", "--judge", Judge, "--labels", reversed);
            Assert.True(failed.ExitCode == 1, failed.ToString());
            var refused = await CliProcess.RunAsync(env, Timeout, run);
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.True(refused.StdErr.Contains("has Spearman's rho -0.991, below the required 0.5 (Judge:MinSingleSpearman)", StringComparison.Ordinal), refused.ToString());

            // People who mostly agree. Judge grades (1 + length/20): 1, 2, 3, 4, 5, 7, 8 and none for id 8; people 2, 1, 3, 5, 4, 7, 9.
            // By hand: rank differences 1, −1, 0, 1, −1, 0, 0: ρ = 1 − 6·4/(7·48) = 13/14; two discordant pairs of 21: τ_b = 17/21;
            // the same grade on 2 of 7; within a point on all 7.
            double[] people = [2, 1, 3, 5, 4, 7, 9, 9];
            var labels = WriteLabels(root, "agreeing.jsonl", people);
            var passed = await CliProcess.RunAsync(env, Timeout, "judge-check", "--mode", "single", "--prompt", "mt_bench_zh", "--judge", Judge, "--labels", labels);
            Assert.True(passed.ExitCode == 0, passed.ToString());
            Assert.Contains("7 answers graded, 1 without a readable grade", passed.StdOut);
            Assert.Contains("spearman: 0.9286", passed.StdOut);
            Assert.Contains("kendall tau-b: 0.8095", passed.StdOut);
            Assert.Contains("same grade: 28.57%, within one point: 100.00%", passed.StdOut);
            double[] judge = [.. Lengths[..7].Select(l => (double)Math.Min(10, 1 + l / 20))];
            Assert.Equal(13.0 / 14, RankCorrelation.Spearman(people[..7], judge), 12);
            Assert.Equal(17.0 / 21, RankCorrelation.KendallTauB(people[..7], judge), 12);
            Assert.Equal(-20 / Math.Sqrt(21 * 20), RankCorrelation.KendallTauB([9, 9, 7, 5, 4, 3, 1], judge), 12);

            var stored = await QueryAsync("select mode || '|' || prompt_version || '|' || items || '|' || unjudged || '|' || spearman || '|' || kendall_tau_b || '|' || " +
                "min_kappa || '|' || passed || '|' || labels_file from judge_checks where judge_name = 'baseline:grader?by=length&garbage_every=8' order by checked_at");
            Assert.Equal(["single|mt-bench-zh-single-1|7|1|-0.991031|-0.9759|0.5|false|reversed.jsonl", "single|mt-bench-zh-single-1|7|1|0.928571|0.809524|0.5|true|agreeing.jsonl"], stored);

            var admitted = await CliProcess.RunAsync(env, Timeout, [.. run, "--wait", "--json", Path.Combine(root, "run.json")]);
            Assert.True(admitted.ExitCode == 0, admitted.ToString());
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "run.json")));
            Assert.Contains(Judge, summary.RootElement.GetProperty("judge").GetString());

            // Bad labels: the file, the line and the field; nothing stored.
            var bad = Path.Combine(root, "bad.jsonl");
            File.WriteAllText(bad, "{\"question_id\": 1, \"category\": \"writing\", \"question\": \"q\", \"answer\": \"a\", \"grade\": 0}\n");
            var rejected = await CliProcess.RunAsync(env, Timeout, "judge-check", "--mode", "single", "--prompt", "mt_bench_zh", "--judge", Judge, "--labels", bad);
            Assert.True(rejected.ExitCode == 2, rejected.ToString());
            Assert.Contains($"{bad}:1: field 'grade': 0 is outside 1–10", rejected.StdErr);
            Assert.Equal(2, (await QueryAsync("select id::text from judge_checks where mode = 'single'")).Count);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string WriteLabels(string root, string name, double[] grades)
    {
        var text = new StringBuilder();
        for (var i = 0; i < Lengths.Length; i++)
            text.AppendLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["question_id"] = i + 1, ["category"] = "writing", ["question"] = $"写一段话（{i + 1}）", ["answer"] = new string('答', Lengths[i]), ["grade"] = grades[i],
            }));
        var path = Path.Combine(root, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }
}
