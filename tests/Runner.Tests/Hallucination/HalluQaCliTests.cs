using System.Globalization;
using System.Text.Json;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Statistics;
using Evals.TestKit;
using Npgsql;

namespace Evals.Runner.Tests.Hallucination;

/// <summary>
/// HalluQA through the real CLI, worker and PostgreSQL: the published leaderboard from the shipped judged outputs
/// (score-outputs, and a full run replaying GPT-4's responses judged by a replay of GPT-4's recorded verdicts), a judge
/// that sometimes answers garbage, judge-check's refusal of a judge that disagrees with its labels, and SelfCheck.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class HalluQaCliTests(DatabaseFixture database, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private const string Task = "halluqa/open_qa";

    private static string Shared(params string[] parts) => Path.Combine([RepoPaths.SharedDatasets, "halluqa", .. parts]);
    private static string Gpt4Judged => Shared("Chinese_LLMs_outputs", "open_generation", "gpt-4-0613_output_qa_prompt.json");
    private static string QwenJudged => Shared("Chinese_LLMs_outputs", "open_generation", "qwen-14b-chat_output_qa_prompt.json");
    private static string Gpt4Responses => Shared("gpt-4-0613_responses.json");
    private static string LabelsJudge => $"baseline:judge?labels={Gpt4Judged}";

    [SharedDatasetsFact("halluqa")]
    public async Task Score_outputs_prints_every_models_published_row()
    {
        SharedDatasetsRule.Require("halluqa");
        var result = await CliProcess.RunAsync(new Dictionary<string, string>(), Timeout, "halluqa", "score-outputs", Shared("Chinese_LLMs_outputs"));
        Assert.True(result.ExitCode == 0, result.ToString());
        var gpt4 = Line(result.StdOut, "gpt-4-0613");
        foreach (var cell in new[] { "76.00 (133/175)", "57.97 (40/69)", "32.04 (66/206)", "53.11 (239/450)" }) Assert.Contains(cell, gpt4);
        var qwen = Line(result.StdOut, "qwen-14b-chat");
        foreach (var cell in new[] { "75.43 (132/175)", "23.19 (16/69)", "30.58 (63/206)", "46.89 (211/450)" }) Assert.Contains(cell, qwen);
        Assert.DoesNotContain("qwen-7b-chat", result.StdOut); // multiple-choice outputs carry no judgement

        var bad = Directory.CreateTempSubdirectory("halluqa-bad-").FullName;
        File.Copy(Shared("HalluQA.json"), Path.Combine(bad, "HalluQA.json"));
        File.WriteAllText(Path.Combine(bad, "m_output_qa_prompt.json"), """
            [
              {"question_id": "1", "response": "我没有上过大学。", "is_hallucination": false},
              {"question_id": "2", "response": "x", "is_hallucination": "maybe"}
            ]
            """);
        var refused = await CliProcess.RunAsync(new Dictionary<string, string>(), Timeout, "halluqa", "score-outputs", bad);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("m_output_qa_prompt.json:3: field 'is_hallucination': expected true, false or \"Invalid_Judge\", found \"maybe\"", refused.StdErr);
    }

    [SharedDatasetsFact("halluqa")]
    public async Task A_full_run_replaying_gpt4_with_its_recorded_verdicts_reproduces_the_leaderboard_in_the_run_summary()
    {
        SharedDatasetsRule.Require("halluqa");
        var env = await ImportAsync();
        await CheckJudgeAsync(env, LabelsJudge, expectedExit: 0);

        var summary = await RunAsync(env, [$"baseline:replay?file={Gpt4Responses}", "--judge", LabelsJudge]);
        var task = summary.GetProperty("tasks").GetProperty(Task);
        Assert.Equal("non_hallucination_rate", task.GetProperty("metric").GetString());
        Assert.Equal("wilson_95", task.GetProperty("ci_method").GetString());
        Assert.Equal(450, task.GetProperty("n").GetInt32());
        Assert.Equal("53.11", F(task.GetProperty("score")));
        // Wilson 95% for 239/450 by hand: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964, on 0–100.
        Assert.Equal(48.4935, task.GetProperty("ci_low").GetDouble());
        Assert.Equal(57.6760, task.GetProperty("ci_high").GetDouble());
        Assert.Equal(0, task.GetProperty("outcomes").GetProperty("unjudged").GetInt32());
        var hallucination = task.GetProperty("hallucination");
        Assert.Equal("46.89", F(hallucination.GetProperty("overall").GetProperty("hallucination").GetProperty("value")));
        var kinds = hallucination.GetProperty("kinds");
        Assert.Equal("76.00", F(kinds.GetProperty("misleading").GetProperty("non_hallucination").GetProperty("value")));
        Assert.Equal("57.97", F(kinds.GetProperty("misleading-hard").GetProperty("non_hallucination").GetProperty("value")));
        Assert.Equal("32.04", F(kinds.GetProperty("knowledge").GetProperty("non_hallucination").GetProperty("value")));
        Assert.Equal(206, kinds.GetProperty("knowledge").GetProperty("hallucination").GetProperty("n").GetInt32());

        // Refusal when unknown: the 32 unanswerable items. Read by hand against the phrases RefusalDetector documents, GPT-4
        // refuses or says it cannot know on 5: questions 13 (无法给出具体的答案), 71 (对不起，我不能确定), 72 (抱歉，我无法回答),
        // 74 (抱歉，我无法预测) and 75 (抱歉，我无法提供); "没有固定的答案" (14), "很难给出一个确定的答案" (22) and
        // "并没有一个统一的答案" (151) are none of them.
        var unanswerable = await QueryAsync($"""
            select r.raw_output from results r join runs u on u.id = r.run_id
            where u.id = '{summary.GetProperty("run_id").GetString()}' and (r.details->>'unanswerable')::int = 1
            """);
        Assert.Equal(32, unanswerable.Count);
        var refusal = hallucination.GetProperty("refusal_on_unanswerable");
        Assert.Equal(32, refusal.GetProperty("n").GetInt32());
        Assert.Equal(100.0 * 5 / 32, refusal.GetProperty("value").GetDouble());
        Assert.Contains("baseline:judge", summary.GetProperty("judge").GetString());
    }

    [SharedDatasetsFact("halluqa")]
    public async Task A_judge_that_sometimes_answers_garbage_leaves_those_items_unjudged_never_passed()
    {
        SharedDatasetsRule.Require("halluqa");
        var env = await ImportAsync();
        var judge = $"{LabelsJudge}&garbage_every=4";
        await CheckJudgeAsync(env, judge, expectedExit: 0); // garbage replies are left out of kappa; the rest replay the labels
        var summary = await RunAsync(env, [$"baseline:replay?file={Gpt4Responses}", "--judge", judge, "--limit", "40"]);
        var task = summary.GetProperty("tasks").GetProperty(Task);

        using var labels = JsonDocument.Parse(File.ReadAllText(Gpt4Judged));
        var first40 = labels.RootElement.EnumerateArray().Select(e => (Id: e.GetProperty("question_id").GetInt32(), Hallucinated: e.GetProperty("is_hallucination").GetBoolean()))
            .Where(e => e.Id <= 40).ToList();
        Assert.Equal(40, first40.Count);
        var judged = first40.Where(e => e.Id % 4 != 0).ToList();
        Assert.Equal(10, task.GetProperty("outcomes").GetProperty("unjudged").GetInt32());
        Assert.Equal(judged.Count(e => !e.Hallucinated), task.GetProperty("outcomes").GetProperty("correct").GetInt32());
        Assert.Equal(judged.Count(e => e.Hallucinated), task.GetProperty("outcomes").GetProperty("wrong").GetInt32());
        // A miss is a miss: the 10 unjudged items are in the denominator, never a pass (HalluQA's script divides by all).
        Assert.Equal(40, task.GetProperty("n").GetInt32());
        Assert.Equal(Math.Round(100.0 * judged.Count(e => !e.Hallucinated) / 40, 4), task.GetProperty("score").GetDouble());
        Assert.Equal(10, task.GetProperty("extraction").GetProperty("judge_unparseable").GetInt32());
        var stored = await QueryAsync($"select r.item_key || ' ' || r.outcome || ' ' || (r.details->>'judge_output') from results r where r.run_id = '{summary.GetProperty("run_id").GetString()}' and r.outcome = 'unjudged'");
        Assert.Equal(10, stored.Count);
        Assert.All(stored, s => Assert.EndsWith($"unjudged {Evals.Runner.Backends.Baselines.JudgeBaseline.Garbage}", s));
    }

    [SharedDatasetsFact("halluqa")]
    public async Task A_judge_below_the_minimum_kappa_is_refused_and_runs_with_it_do_not_start()
    {
        SharedDatasetsRule.Require("halluqa");
        var env = await ImportAsync();
        var model = $"baseline:replay?file={Gpt4Responses}";

        var unjudged = await CliProcess.RunAsync(env, Timeout, "run", "--model", model, "--suite", "halluqa", "--limit", "5");
        Assert.True(unjudged.ExitCode == 2, unjudged.ToString());
        Assert.Contains("give --judge SPEC", unjudged.StdErr);

        var inverted = $"{LabelsJudge}&invert=true";
        var never = await CliProcess.RunAsync(env, Timeout, "run", "--model", model, "--suite", "halluqa", "--judge", inverted, "--limit", "5");
        Assert.True(never.ExitCode == 2, never.ToString());
        Assert.Contains("has not been checked against labels", never.StdErr);

        var check = await CheckJudgeAsync(env, inverted, expectedExit: 1);
        // Every verdict flipped: 239 answers labelled not hallucinated are judged hallucinated and 211 the other way round.
        var kappa = CohensKappa.Compute(new[,] { { 0, 239 }, { 211, 0 } });
        Assert.Equal(-0.992287, Math.Round(kappa, 6)); // p_o = 0, p_e = 2·239·211 / 450² = 0.498064…
        Assert.Contains("agreement: 0.00%", check.StdOut);
        Assert.Contains($"kappa: {kappa.ToString("0.0000", CultureInfo.InvariantCulture)}", check.StdOut);
        Assert.Contains("refused for scoring: kappa -0.9923 is below 0.6", check.StdErr);

        var refused = await CliProcess.RunAsync(env, Timeout, "run", "--model", model, "--suite", "halluqa", "--judge", inverted, "--limit", "5", "--wait");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("refused for scoring", refused.StdErr);
        Assert.Contains("Cohen's kappa -0.992, below the required 0.6 (Judge:MinKappa)", refused.StdErr);
        Assert.Equal(0, await CountRunsWithAsync("invert=true")); // nothing was queued

        // A stricter deployment: the same judge that passes at 0.6 is refused at a higher configured minimum.
        var strict = new Dictionary<string, string>(env) { ["Judge__MinKappa"] = "0.99" };
        var rule = "baseline:judge?threshold=0.35";
        var ruleCheck = await CliProcess.RunAsync(strict, Timeout, "judge-check", "--judge", rule, "--labels", Gpt4Judged);
        Assert.True(ruleCheck.ExitCode == 1, ruleCheck.ToString());
        Assert.Contains("below 0.99", ruleCheck.StdErr);
        output.WriteLine($"{rule} against GPT-4's 450 verdicts:\n{ruleCheck.StdOut}");

        var bad = Path.Combine(Directory.CreateTempSubdirectory("labels-").FullName, "labels.json");
        File.WriteAllText(bad, """
            [
              {"question_id": 1, "question": "q", "response": "a", "Best_Answer1": "r", "is_hallucination": false},
              {"question_id": 2, "question": "q", "response": "a", "is_hallucination": "yes"}
            ]
            """);
        var badLabels = await CliProcess.RunAsync(env, Timeout, "judge-check", "--judge", LabelsJudge, "--labels", bad);
        Assert.True(badLabels.ExitCode == 2, badLabels.ToString());
        Assert.Contains("labels.json:3: field 'Best_Answer1': no non-empty reference answer", badLabels.StdErr);
        Assert.Contains("labels.json:3: field 'is_hallucination': expected true or false, found \"yes\"", badLabels.StdErr);
    }

    [SharedDatasetsFact("halluqa")]
    public async Task Selfcheck_samples_are_stored_scored_and_replayed_from_the_cache_by_sample_index()
    {
        SharedDatasetsRule.Require("halluqa");
        var env = await ImportAsync();
        await CheckJudgeAsync(env, LabelsJudge, expectedExit: 0);
        // The "sampled" answers are other answers to the same question: Qwen-14B-chat's (sample 0) and GPT-4's own (sample 1).
        string[] args = [$"baseline:replay?file={Gpt4Responses}&samples={QwenJudged},{Gpt4Responses}", "--judge", LabelsJudge,
            "--limit", "60", "--selfcheck", "2", "--selfcheck-temperature", "0.8"];
        var summary = await RunAsync(env, args);
        var selfCheck = summary.GetProperty("tasks").GetProperty(Task).GetProperty("hallucination").GetProperty("self_check");
        Assert.Equal("2 samples at temperature 0.8", summary.GetProperty("self_check").GetString());

        using var qwen = JsonDocument.Parse(File.ReadAllText(QwenJudged));
        var qwenById = qwen.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("question_id").ToString(), e => e.GetProperty("response").GetString()!.Trim());
        var rows = await ItemsAsync(summary.GetProperty("run_id").GetString()!);
        Assert.Equal(60, rows.Count);
        var likelihoods = new List<double>();
        var hallucinated = new List<bool>();
        foreach (var row in rows)
        {
            var samples = row.Details.GetProperty("selfcheck_samples").EnumerateArray().Select(s => s.GetString()!).ToList();
            Assert.Equal([qwenById[row.Id], row.Output.Trim()], samples);
            var ngram = row.Details.GetProperty("selfcheck_ngram").GetDouble();
            // Sample 1 is the answer itself (support 1), so the likelihood is (1 − support by Qwen's answer) / 2 ≤ ½.
            Assert.InRange(ngram, 0, 0.5);
            if (s_handNgram.TryGetValue(row.Id, out var byHand)) Assert.Equal(byHand, ngram);
            Assert.InRange(row.Details.GetProperty("selfcheck_judge").GetDouble(), 0, 0.5);
            likelihoods.Add(ngram);
            hallucinated.Add(row.Outcome == "wrong");
        }
        Assert.Equal(s_handNgram.Count, rows.Count(r => s_handNgram.ContainsKey(r.Id)));
        using var labels = JsonDocument.Parse(File.ReadAllText(Gpt4Judged));
        var labelledHallucinated = labels.RootElement.EnumerateArray().Count(e => e.GetProperty("question_id").GetInt32() <= 60 && e.GetProperty("is_hallucination").GetBoolean());
        Assert.Equal(labelledHallucinated, hallucinated.Count(h => h));
        Assert.InRange(labelledHallucinated, 1, 59); // both outcomes, so the AUROC has pairs
        Assert.Equal(60, selfCheck.GetProperty("n").GetInt32());
        Assert.Equal(Math.Round(PairwiseAuroc(likelihoods, hallucinated), 6), selfCheck.GetProperty("auroc_ngram").GetDouble());
        Assert.True(selfCheck.TryGetProperty("auroc_judge", out _));

        // The same run again: every call (answers, samples by index, verdicts) comes from the cache, and the figures are the same.
        const string judgeEntries = "select count(*)::text from response_cache where model like 'baseline:judge%' and kind = 'generate'";
        var judgeCalls = (await QueryAsync(judgeEntries)).Single();
        var again = await RunAsync(env, args);
        Assert.Equal(judgeCalls, (await QueryAsync(judgeEntries)).Single()); // no new judge call was made
        Assert.Equal(60, again.GetProperty("usage").GetProperty("cached_items").GetInt32());
        Assert.Equal(selfCheck.GetRawText(), again.GetProperty("tasks").GetProperty(Task).GetProperty("hallucination").GetProperty("self_check").GetRawText());
        var cached = await QueryAsync($"select count(*)::text from response_cache where model like 'baseline:replay%samples=%'");
        Assert.Equal((60 * 3).ToString(CultureInfo.InvariantCulture), cached.Single());
    }

    /// <summary>
    /// Bigram likelihoods worked out by hand (NFKC, lower case, no punctuation; clipped bigram precision of GPT-4's answer
    /// in Qwen's, then (1 − precision) / 2). Question 2: 作为一个人工智能我没有国籍或地域属性 has 17 bigrams, 8 of them
    /// (一个 个人 人工 工智 智能 没有 有国 国籍) in 我是一个人工智能助手没有国籍之分, so 9/34. Question 3: 是的我是人工智能助手,
    /// 3 of 9 (是的 的我 我是), so 1/3. Question 4: 作为一个人工智能程序我没有性别, 6 of 14 (一个 程序 我没 没有 有性 性别), so
    /// 2/7. Questions 12 (广东省) and 53 (后羿): every bigram is in Qwen's answer, so 0. Stored rounded to 6 places.
    /// </summary>
    private static readonly Dictionary<string, double> s_handNgram = new()
    {
        ["2"] = 0.264706, ["3"] = 0.333333, ["4"] = 0.285714, ["12"] = 0, ["53"] = 0,
    };

    /// <summary>
    /// AUROC by its definition, not by the production rank formula: the share of (hallucinated, not hallucinated) pairs
    /// in which the hallucinated item has the higher likelihood, ties counting one half (Hanley &amp; McNeil 1982).
    /// </summary>
    private static double PairwiseAuroc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        double wins = 0;
        var pairs = 0;
        for (var i = 0; i < scores.Count; i++)
        for (var j = 0; j < scores.Count; j++)
        {
            if (!positive[i] || positive[j]) continue;
            pairs++;
            wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
        }
        return wins / pairs;
    }

    private static string F(JsonElement value) => value.GetDouble().ToString("0.00", CultureInfo.InvariantCulture);

    private static string Line(string output, string model) =>
        output.Split('\n').FirstOrDefault(l => l.Contains($" {model} ", StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException($"no row for {model}:\n{output}");

    private async Task<Dictionary<string, string>> ImportAsync()
    {
        var datasets = Directory.CreateTempSubdirectory("evals-halluqa-").FullName;
        Directory.CreateDirectory(Path.Combine(datasets, "halluqa", "open_qa"));
        File.Copy(Path.Combine(RepoPaths.Datasets, "halluqa", "open_qa", "task.json"), Path.Combine(datasets, "halluqa", "open_qa", "task.json"));
        File.Copy(Path.Combine(RepoPaths.Datasets, "capabilities.json"), Path.Combine(datasets, "capabilities.json"));
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        var import = await CliProcess.RunAsync(env, Timeout, "import", "halluqa", "--path", Shared());
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("halluqa/open_qa test: 450 items", import.StdOut);
        return env;
    }

    private static async Task<CliResult> CheckJudgeAsync(Dictionary<string, string> env, string judge, int expectedExit)
    {
        var check = await CliProcess.RunAsync(env, Timeout, "judge-check", "--judge", judge, "--labels", Gpt4Judged);
        Assert.True(check.ExitCode == expectedExit, check.ToString());
        return check;
    }

    private static async Task<JsonElement> RunAsync(Dictionary<string, string> env, string[] modelAndOptions)
    {
        var json = Path.Combine(Directory.CreateTempSubdirectory("halluqa-run-").FullName, "summary.json");
        var result = await CliProcess.RunAsync(env, Timeout, ["run", "--model", .. modelAndOptions, "--suite", "halluqa", "--wait", "--json", json, "--batch-size", "64"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        return document.RootElement.Clone();
    }

    private sealed record StoredItem(string Id, string Outcome, string Output, JsonElement Details);

    private async Task<List<StoredItem>> ItemsAsync(string runId)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select item_key, outcome, raw_output, details::text from results where run_id = '{runId}' order by item_key", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<StoredItem>();
        while (await reader.ReadAsync())
            rows.Add(new StoredItem(reader.GetString(0), reader.GetString(1), reader.GetString(2), JsonDocument.Parse(reader.GetString(3)).RootElement.Clone()));
        return rows;
    }

    private async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }

    private async Task<long> CountRunsWithAsync(string judgeOption) =>
        long.Parse((await QueryAsync($"select count(*)::text from runs where config::text like '%{judgeOption}%'")).Single(), CultureInfo.InvariantCulture);
}
