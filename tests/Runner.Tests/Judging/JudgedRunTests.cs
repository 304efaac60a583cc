using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Caching;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Judging;

/// <summary>
/// AlignBench and MT-Bench-ZH end to end: `evals import`, two in-process tiny ONNX models answering through the CLI and
/// its worker, the deterministic grader judging, then the summaries' official aggregates against a computation by hand
/// from the stored grades, `runs rescore` re-reading the stored judge replies, and the gate's paired comparison.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class JudgedRunTests(DatabaseFixture database, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private const string Judge = "baseline:grader?garbage_every=3";

    [SharedDatasetsFact("alignbench", "mt_bench_zh")]
    public async Task Alignbench_and_mt_bench_zh_run_judged_through_the_worker_and_report_their_benchmarks_own_figures()
    {
        var root = Directory.CreateTempSubdirectory("evals-judged-run-").FullName;
        try
        {
            var datasets = Path.Combine(root, "datasets");
            foreach (var suite in new[] { "alignbench", "mt_bench_zh" })
            {
                // The shipped manifest with answers capped at 12 tokens: the tiny model's babble needs no more, and the run stays seconds long.
                var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Datasets, suite, "suite.json")))!;
                manifest["task"]!["max_tokens"] = 12;
                Directory.CreateDirectory(Path.Combine(datasets, suite));
                File.WriteAllText(Path.Combine(datasets, suite, "suite.json"), manifest.ToJsonString());
            }
            File.Copy(Path.Combine(RepoPaths.Datasets, "capabilities.json"), Path.Combine(datasets, "capabilities.json"));
            var env = RunnerEnvironment.For(database.ConnectionString, datasets);
            foreach (var (format, folder) in new[] { ("alignbench", "alignbench"), ("mt_bench_zh", "mt_bench_zh") })
            {
                var import = await CliProcess.RunAsync(env, Timeout, "import", format, "--path", SharedDatasetsRule.Require(folder));
                Assert.True(import.ExitCode == 0, import.ToString());
            }
            var models = new[] { Path.Combine(root, "tiny-a"), Path.Combine(root, "tiny-b") };
            // Room for AlignBench's longest first questions and MT-Bench's second turns (the default 512 positions is too few).
            TinyModelWriter.Write(models[0], seed: 5, config: new TinyModelConfig(MaxPositions: 8192));
            TinyModelWriter.Write(models[1], seed: 11, config: new TinyModelConfig(MaxPositions: 8192));

            // A judge no judge-check has passed is refused before anything is queued.
            var refused = await CliProcess.RunAsync(env, Timeout, "run", "--model", $"onnx:{models[0]}", "--suite", "alignbench", "--judge", Judge, "--limit", "1");
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.Contains("has not been checked against labels", refused.StdErr);
            await QualifyAsync(Judge);

            foreach (var suite in new[] { "alignbench", "mt_bench_zh" })
            {
                var runs = new List<JsonElement>();
                foreach (var model in models)
                {
                    var json = Path.Combine(root, $"{suite}-{Path.GetFileName(model)}.json");
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    var run = await CliProcess.RunAsync(env, Timeout, "run", "--model", $"onnx:{model}", "--suite", suite, "--judge", Judge, "--limit", "1",
                        "--wait", "--json", json);
                    Assert.True(run.ExitCode == 0, run.ToString());
                    output.WriteLine($"{suite} {Path.GetFileName(model)}: {watch.Elapsed.TotalSeconds:0.0} s");
                    var summary = JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone();
                    await CheckAgainstStoredGradesAsync(suite, summary);
                    runs.Add(summary);
                }
                await CheckRescoreAsync(env, root, suite, runs[0]);
                var gate = await CliProcess.RunAsync(env, Timeout, "gate", "--baseline", runs[0].GetProperty("run_id").GetString()!,
                    "--candidate", runs[1].GetProperty("run_id").GetString()!, "--suite", suite, "--max-drop", "100", "--markdown", Path.Combine(root, $"{suite}-gate.md"));
                // No task may drop more than 100 points: the gate passes, having compared every task's per-item grades in pairs.
                Assert.True(gate.ExitCode == 0, gate.ToString());
                var report = File.ReadAllText(Path.Combine(root, $"{suite}-gate.md"));
                Assert.Contains($"{suite}/math", report);
                Assert.Contains($"{suite}/writing", report);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The summary's figures recomputed here from the stored results: each grade from the stored answer (the grader's rule), then each benchmark's own aggregation.</summary>
    private async Task CheckAgainstStoredGradesAsync(string suite, JsonElement summary)
    {
        var runId = summary.GetProperty("run_id").GetGuid();
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var results = await db.Results.AsNoTracking().Where(r => r.RunId == runId).Select(r => new { r.ItemKey, r.Outcome, r.Score, r.Details, r.Error }).ToListAsync();
        Assert.Equal(8, results.Count); // 8 categories × --limit 1
        var judgments = new List<(string Category, int Turn, double Grade)>();
        foreach (var result in results)
        {
            Assert.True(result.Outcome != "error", result.Error);
            var details = JsonNode.Parse(result.Details!)!.AsObject();
            Assert.Equal(suite == "alignbench" ? "alignbench-single-1" : "mt-bench-zh-single-1", details["judge_prompt_version"]!.GetValue<string>());
            var answers = details["answers"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            var replies = details["judge_outputs"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
            var grades = details["grades"]!.AsArray().Select(g => g!.GetValue<double>()).ToList();
            Assert.Equal(suite == "alignbench" ? 1 : 2, answers.Count);
            var garbage = long.Parse(result.ItemKey) % 3 == 0;
            for (var t = 0; t < answers.Count; t++)
            {
                // The tiny model's babble may hold U+0000, which PostgreSQL cannot store: the writer stores it as U+2400 and says so
                // (text_escaped); the judge saw the NUL. (A lone surrogate hashes as U+FFFD either way.)
                var seen = details["text_escaped"] is null ? answers[t] : answers[t].Replace('\u2400', '\0');
                var expected = garbage ? -1 : GraderGrade(seen);
                Assert.True(expected == grades[t], $"item {result.ItemKey} turn {t + 1}: grade {grades[t]}, expected {expected} for answer {JsonSerializer.Serialize(answers[t])}; reply {replies[t]}");
                if (!garbage && suite == "alignbench") Assert.EndsWith($"'综合得分': {expected}}}", replies[t]);
                if (!garbage && suite != "alignbench") Assert.EndsWith($"Rating: [[{expected}]]", replies[t]);
                judgments.Add((details["category"]!.GetValue<string>(), t + 1, expected));
            }
            if (garbage)
            {
                Assert.Equal("unjudged", result.Outcome);
                Assert.Equal(0, result.Score);
            }
            else
            {
                Assert.Equal(grades.Average() * 10, result.Score, 6);
                Assert.Equal(grades.Average() >= 6 ? "correct" : "wrong", result.Outcome);
                if (suite == "alignbench") Assert.True(details["dimensions"]![0]!.AsObject().Count >= 4);
            }
        }
        var official = summary.GetProperty("judged").GetProperty(suite);
        if (suite == "alignbench")
        {
            // AlignBench's show_result.py: category means (−1 kept), 推理 = mean(数学计算, 逻辑推理), 语言 = mean(the other six), 总分 = their mean.
            var means = judgments.GroupBy(j => j.Category).ToDictionary(g => g.Key, g => g.Average(j => j.Grade));
            Assert.Equal(8, means.Count);
            var reasoning = (means["数学计算"] + means["逻辑推理"]) / 2;
            var language = means.Where(m => m.Key is not ("数学计算" or "逻辑推理")).Average(m => m.Value);
            Assert.Equal(Math.Round((reasoning + language) / 2, 4), official.GetProperty("score").GetDouble());
            Assert.Equal(Math.Round(reasoning, 4), official.GetProperty("parts").GetProperty("推理").GetDouble());
            Assert.Equal(Math.Round(means["角色扮演"], 4), official.GetProperty("parts").GetProperty("角色扮演").GetDouble());
            // The leaderboard's view of the same run (Evals' 0–100 task scores, unjudged 0): overall = (推理 + 语言) / 2 over task scores.
            var tasks = summary.GetProperty("tasks");
            double Task(string name) => tasks.GetProperty($"alignbench/{name}").GetProperty("score").GetDouble();
            var r = (Task("math") + Task("reasoning")) / 2;
            var l = new[] { "professional", "fundamental", "understanding", "open_qa", "writing", "roleplay" }.Average(Task);
            var categories = summary.GetProperty("categories").GetProperty("alignbench");
            Assert.Equal(Math.Round((r + l) / 2, 4), categories.GetProperty("overall").GetDouble(), 3);
            Assert.Equal(Math.Round(r, 4), categories.GetProperty("推理").GetDouble(), 3);
        }
        else
        {
            // FastChat's show_result.py: −1 dropped, mean over all remaining turns.
            var kept = judgments.Where(j => j.Grade != -1).ToList();
            Assert.Equal(Math.Round(kept.Average(j => j.Grade), 4), official.GetProperty("score").GetDouble());
            Assert.Equal(Math.Round(kept.Where(j => j.Turn == 2).Average(j => j.Grade), 4), official.GetProperty("parts").GetProperty("turn_2").GetDouble());
            // Questions 81, 111 and 141 are garbled (ids divisible by 3): both their turns are dropped, 10 of 16 judgments remain.
            Assert.Equal(10, kept.Count);
            Assert.Equal(judgments.Count - kept.Count, official.GetProperty("unjudged").GetInt32());
        }
        Assert.Contains("baseline:grader", summary.GetProperty("judge").GetString());
        var unjudged = results.Count(r => long.Parse(r.ItemKey) % 3 == 0);
        Assert.True(unjudged > 0, "the limit should reach an item the grader garbles");
        Assert.Equal(unjudged, summary.GetProperty("tasks").EnumerateObject().Sum(t => t.Value.GetProperty("outcomes").GetProperty("unjudged").GetInt32()));
    }

    /// <summary>`runs rescore` parses the stored judge replies again and lands on the same grades and scores.</summary>
    private static async Task CheckRescoreAsync(Dictionary<string, string> env, string root, string suite, JsonElement source)
    {
        var json = Path.Combine(root, $"{suite}-rescored.json");
        var rescore = await CliProcess.RunAsync(env, Timeout, "runs", "rescore", source.GetProperty("run_id").GetString()!, "--wait", "--json", json);
        Assert.True(rescore.ExitCode == 0, rescore.ToString());
        Assert.Contains("0 changed outcome or score", rescore.StdOut);
        var again = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(source.GetProperty("judged").GetRawText(), again.GetProperty("judged").GetRawText());
        Assert.Equal(source.GetProperty("tasks").GetProperty($"{suite}/math").GetProperty("score").GetDouble(),
            again.GetProperty("tasks").GetProperty($"{suite}/math").GetProperty("score").GetDouble());
    }

    /// <summary>baseline:grader's rule (by=hash, seed 0), written out again here: 1 + the first 8 bytes of SHA-256("0\n\n" + answer) mod 10.</summary>
    private static int GraderGrade(string answer) =>
        1 + (int)(BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"0\n\n{answer}"))) % 10);

    /// <summary>
    /// The judge's passed single checks, one per prompt family, as `judge-check --mode single` stores them
    /// (SingleJudgeCheckCliTests runs the check itself; here it would only add minutes).
    /// </summary>
    private Task QualifyAsync(string judge) =>
        PassedJudgeChecks.AddSingleAsync(database.ConnectionString, ModelIdentity.For(ModelSpec.Parse(judge)), judge,
            SingleGradePrompts.AlignBenchVersion, SingleGradePrompts.MtBenchZhVersion);
}
