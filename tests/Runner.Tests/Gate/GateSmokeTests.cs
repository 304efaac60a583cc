using System.Text.Json;
using System.Xml.Linq;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Gate;

/// <summary>Gates and A/B runs end to end on the smoke suite with real model specs, through the real CLI and worker.</summary>
[Collection(ProcessTests.Name)]
public sealed class GateSmokeTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Two_baselines_then_reuse_then_latest_accepted_with_accept_on_pass()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var output = Directory.CreateTempSubdirectory().FullName;
        var junitPath = Path.Combine(output, "gate.xml");

        var first = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "gate", "--candidate", "baseline:first", "--baseline", "baseline:majority",
            "--suite", "smoke", "--junit", junitPath, "--markdown", Path.Combine(output, "gate.md"), "--rounds", "2000");
        // The verdict is known by hand from datasets/smoke (24 test items per task): `first` always answers A (idioms 6
        // right, commonsense 7) or the first label, 正面 (sentiment 14); `majority` answers the train split's most frequent
        // answer, B (9), C (8) and 负面 (10). Every item either baseline gets right is one the other gets wrong, so the
        // discordant counts are those numbers, and the exact McNemar p of 6 vs 9 is 2·P(X ≤ 6 | 15, ½) = 0.6072: a 12.5-point
        // drop on idioms that is not significant, overall 27/72 each. The gate passes.
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Run ", first.StdErr); // both runs were executed
        var junit = XDocument.Load(junitPath);
        Assert.Equal(["overall", "smoke/commonsense", "smoke/idioms", "smoke/sentiment"],
            junit.Descendants("testcase").Select(t => (string)t.Attribute("name")!).Order());
        Assert.Empty(junit.Descendants("failure"));
        string Numbers(string check) => junit.Descendants("testcase").Single(t => (string?)t.Attribute("name") == check).Element("system-out")!.Value;
        Assert.Contains("n = 24, baseline 37.5, candidate 25, difference −12.50", Numbers("smoke/idioms"));
        Assert.Contains("b = 6 (only the candidate right), c = 9 (only the baseline right), p = 0.6072", Numbers("smoke/idioms"));
        Assert.Contains("n = 24, baseline 33.33, candidate 29.17,", Numbers("smoke/commonsense"));
        Assert.Contains("b = 7 (only the candidate right), c = 8 (only the baseline right), p = 1.0000", Numbers("smoke/commonsense"));
        Assert.Contains("n = 24, baseline 41.67, candidate 58.33,", Numbers("smoke/sentiment"));
        Assert.Contains("b = 14 (only the candidate right), c = 10 (only the baseline right), p = 0.5413", Numbers("smoke/sentiment"));
        var markdown = await File.ReadAllTextAsync(Path.Combine(output, "gate.md"));
        Assert.StartsWith("### ✅ Evals gate passed", markdown);
        Assert.Contains("| `smoke/idioms` | 24 | 37.5 | 25 | −12.50 |", markdown);
        Assert.Contains("| `smoke/sentiment` | 24 | 41.67 | 58.33 | +16.67 |", markdown);
        Assert.Contains("- ⚠️ smoke/idioms ", markdown); // a drop beyond the allowance, but not a significant one

        // The gate's scores are the runs' scores: compare the candidate's with `runs show --json`.
        var candidateRun = junit.Descendants("property").Single(p => (string?)p.Attribute("name") == "candidate_run").Attribute("value")!.Value;
        var show = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "runs", "show", candidateRun, "--json");
        using var summary = JsonDocument.Parse(show.StdOut);
        foreach (var task in summary.RootElement.GetProperty("tasks").EnumerateObject())
        {
            var text = junit.Descendants("testcase").Single(t => (string?)t.Attribute("name") == task.Name).Element("system-out")!.Value;
            Assert.Contains($"candidate {task.Value.GetProperty("score").GetDouble():0.##}", text);
        }

        // Checkpoints of a family: accept the old one by hand, gate the new one against it, accept the new one on a pass.
        Assert.Equal(0, (await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "models", "add", "--name", "fam-v1", "--spec", "baseline:majority", "--family", "fam", "--checkpoint", "v1")).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "models", "add", "--name", "fam-v2", "--spec", "baseline:majority?delay_ms=0", "--family", "fam", "--checkpoint", "v2")).ExitCode);
        var noAccepted = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "gate", "--candidate", "fam-v2", "--baseline", "latest-accepted", "--suite", "smoke");
        Assert.True(noAccepted.ExitCode == 2, noAccepted.ToString());
        Assert.Contains("family 'fam' has no accepted checkpoint", noAccepted.StdErr);
        Assert.Equal(0, (await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "models", "accept", "fam-v1")).ExitCode);
        var accepted = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "gate", "--candidate", "fam-v2", "--baseline", "latest-accepted", "--suite", "smoke",
            "--accept-on-pass", "--rounds", "2000");
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        Assert.Contains("baseline: fam-v1 (v1), family fam's latest accepted checkpoint", accepted.StdErr);
        // fam-v1 is baseline:majority, whose finished run of this suite version the first gate made: reused, not run again.
        Assert.Contains("baseline: reusing run", accepted.StdErr);
        Assert.Contains("accepted fam-v2 as family fam's latest checkpoint", accepted.StdOut);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var models = await db.Models.Where(m => m.Family == "fam").ToDictionaryAsync(m => m.Name);
        Assert.True(models["fam-v2"].AcceptedAt > models["fam-v1"].AcceptedAt);
    }

    [Fact]
    public async Task Bad_input_exits_2_naming_it()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        int before;
        await using (var db0 = Migrator.CreateContext(database.ConnectionString)) before = await db0.Runs.CountAsync();
        var unknown = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "gate", "--candidate", "no-such-model", "--baseline", "baseline:first", "--suite", "smoke");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("unknown model 'no-such-model'", unknown.StdErr);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.Equal(before, await db.Runs.CountAsync()); // nothing was enqueued
    }

    [Fact]
    public async Task Ab_run_applies_each_variants_template_and_rejects_unknown_placeholders()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var folder = Directory.CreateTempSubdirectory().FullName;
        var a = Path.Combine(folder, "a.json");
        var b = Path.Combine(folder, "b.txt");
        var bad = Path.Combine(folder, "bad.json");
        await File.WriteAllTextAsync(a, """{ "idioms": "成语题：{question}\n{choices}\n答案：" }""");
        await File.WriteAllTextAsync(b, "评论：{text}\n情感：\n");
        await File.WriteAllTextAsync(bad, """{ "smoke/idioms": "{passage}\n{question}\n{choices}" }""");

        var rejected = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "ab", "run", "--model", "baseline:first", "--suite", "smoke", "--variant", $"A={a}", "--variant", $"B={bad}");
        Assert.True(rejected.ExitCode == 2, rejected.ToString());
        Assert.Contains($"variant file {bad}: unknown placeholder {{passage}} for task smoke/idioms", rejected.StdErr);
        // b.txt is one template for every task, and only the sentiment task has a {text} field.
        var wrongTask = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "ab", "run", "--model", "baseline:first", "--suite", "smoke", "--variant", $"A={a}", "--variant", $"B={b}");
        Assert.True(wrongTask.ExitCode == 2, wrongTask.ToString());
        Assert.Contains("unknown placeholder {text} for task smoke/commonsense", wrongTask.StdErr);

        await File.WriteAllTextAsync(b, """{ "sentiment": "评论：{text}\n情感：" }""");
        File.Move(b, b + ".json");
        var json = Path.Combine(folder, "ab.json");
        var ran = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "ab", "run", "--model", "baseline:first", "--suite", "smoke",
            "--variant", $"A={a}", "--variant", $"B={b}.json", "--json", json, "--rounds", "2000");
        Assert.True(ran.ExitCode == 0, ran.ToString());
        Assert.Contains("no winner", ran.StdOut); // a baseline ignores the prompt: the variants agree on every item
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var variants = report.RootElement.GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal(["A", "B"], variants.Select(v => v.GetProperty("name").GetString()));
        Assert.NotEqual(variants[0].GetProperty("prompt_hash").GetString(), variants[1].GetProperty("prompt_hash").GetString());
        Assert.Equal(0, report.RootElement.GetProperty("disagreements").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, report.RootElement.GetProperty("winner").ValueKind);

        // The job rendered each variant's template: the stored prompts show it, and other tasks keep the manifest's.
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var runA = variants[0].GetProperty("run_id").GetGuid();
        var runB = variants[1].GetProperty("run_id").GetGuid();
        var prompts = await db.Results.Where(r => r.RunId == runA || r.RunId == runB).Select(r => new { r.RunId, r.ItemKey, r.TaskId, r.Prompt }).ToListAsync();
        var idiomsTask = await db.Tasks.Where(t => t.Name == "smoke/idioms").Select(t => t.Id).FirstAsync();
        var sentimentTask = await db.Tasks.Where(t => t.Name == "smoke/sentiment").Select(t => t.Id).FirstAsync();
        // 24 test items per smoke task: count each filtered list first, so that an empty one cannot pass Assert.All.
        var aIdioms = prompts.Where(p => p.RunId == runA && p.TaskId == idiomsTask).ToList();
        var bSentiment = prompts.Where(p => p.RunId == runB && p.TaskId == sentimentTask).ToList();
        var bIdioms = prompts.Where(p => p.RunId == runB && p.TaskId == idiomsTask).ToList();
        Assert.Equal([24, 24, 24], new[] { aIdioms.Count, bSentiment.Count, bIdioms.Count });
        Assert.All(aIdioms, p => Assert.StartsWith("成语题：", p.Prompt));
        Assert.All(bSentiment, p => Assert.StartsWith("评论：", p.Prompt));
        Assert.All(bIdioms, p => Assert.StartsWith("以下是关于成语的单项选择题", p.Prompt));
        var config = await db.Runs.Where(r => r.Id == runA).Select(r => r.Config).SingleAsync();
        Assert.Contains("\"prompt_variant\": \"A\"", config);
        Assert.Contains("prompt_templates", config);
    }
}
