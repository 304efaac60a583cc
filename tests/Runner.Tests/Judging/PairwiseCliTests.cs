using System.Globalization;
using System.Text.Json;
using Evals.TestKit;
using Npgsql;

namespace Evals.Runner.Tests.Judging;

/// <summary>
/// Pairwise judging through the real CLI, worker and PostgreSQL: <c>evals import alpacaeval</c> reproducing the published
/// win rates, a run judged in both orders by a judge that always prefers position A (every verdict a tie, position bias
/// 100%), and <c>judge-check --mode pairwise</c> on PRD's human votes with a judge of known agreement, then the refusal
/// of an unqualified judge.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class PairwiseCliTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private const string Task = "alpacaeval/alpaca_eval";
    private const string AlwaysA = "baseline:pairjudge?prefer=A";
    private static string Votes => Path.Combine(RepoPaths.SharedDatasets, "prd_vicuna80_pairwise", "ratings-human");

    [SharedDatasetsFact("alpacaeval_pairwise", "prd_vicuna80_pairwise")]
    public async Task Import_reproduces_the_leaderboard_and_a_judge_preferring_position_A_makes_every_verdict_a_tie()
    {
        var env = await ImportAsync();

        // Qualification: "always A" agrees with people only on their ties, kappa 0: refused at the default minimum (0.4) …
        var check = await CliProcess.RunAsync(env, Timeout, "judge-check", "--mode", "pairwise", "--judge", AlwaysA, "--labels", Votes, "--limit", "30");
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains("kappa: 0.0000", check.StdOut);
        Assert.Contains("position bias: 100.00% of pairs changed verdict with the order (30 of 30)", check.StdOut);
        var refused = await CliProcess.RunAsync(env, Timeout, "run", "--model", "baseline:say?text=ok", "--suite", "alpacaeval", "--judge", AlwaysA, "--limit", "4", "--wait");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("Cohen's kappa 0, below the required 0.4 (Judge:MinPairwiseKappa)", refused.StdErr);

        // … and admitted where the deployment asks for no more than chance, so that its verdicts can be seen through the worker.
        var lenient = new Dictionary<string, string>(env) { ["Judge__MinPairwiseKappa"] = "0" };
        var json = Path.Combine(Directory.CreateTempSubdirectory("pairwise-run-").FullName, "summary.json");
        var run = await CliProcess.RunAsync(lenient, Timeout, "run", "--model", "baseline:say?text=%E5%A5%BD%E7%9A%84", "--suite", "alpacaeval", "--judge", AlwaysA,
            "--limit", "6", "--wait", "--json", json);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var summary = document.RootElement;
        var task = summary.GetProperty("tasks").GetProperty(Task);
        Assert.Equal("pairwise_win_rate", task.GetProperty("metric").GetString());
        Assert.Equal(6, task.GetProperty("n").GetInt32());
        Assert.Equal(50.0, task.GetProperty("score").GetDouble());
        var pairwise = task.GetProperty("pairwise");
        Assert.Equal((0, 0, 6, 0, 6), (pairwise.GetProperty("wins").GetInt32(), pairwise.GetProperty("losses").GetInt32(), pairwise.GetProperty("ties").GetInt32(),
            pairwise.GetProperty("unjudged").GetInt32(), pairwise.GetProperty("flipped").GetInt32()));
        Assert.Equal(100.0, pairwise.GetProperty("position_bias_rate").GetDouble());
        Assert.Equal((50.0, 50.0), (pairwise.GetProperty("ci_low").GetDouble(), pairwise.GetProperty("ci_high").GetDouble()));
        // Bradley–Terry over the six judged pairs, all ties: both sides at the arena's centre, 1000, in every bootstrap round.
        var bradleyTerry = pairwise.GetProperty("bradley_terry");
        Assert.Equal((6, true, 100), (bradleyTerry.GetProperty("battles").GetInt32(), bradleyTerry.GetProperty("converged").GetBoolean(), bradleyTerry.GetProperty("rounds").GetInt32()));
        Assert.Equal(["candidate 1000 1000 1000", "baseline 1000 1000 1000"], bradleyTerry.GetProperty("ratings").EnumerateArray().Select(r =>
            string.Create(CultureInfo.InvariantCulture, $"{r.GetProperty("model").GetString()} {r.GetProperty("rating").GetDouble()} {r.GetProperty("ci_low").GetDouble()} {r.GetProperty("ci_high").GetDouble()}")));
        Assert.Equal("pairwise-zh-v1", pairwise.GetProperty("prompt_version").GetString());
        Assert.EndsWith("prompt pairwise-zh-v1", summary.GetProperty("judge").GetString());
        Assert.Equal("the baseline answers the items carry", summary.GetProperty("pairwise_baseline").GetString());

        // Each item keeps both replies, the baseline's answer (text-davinci-003's, from the import) and the prompt version.
        var rows = await QueryAsync($"select item_key || '|' || outcome || '|' || parsed || '|' || (details->>'judge_output_candidate_first') || '|' || " +
            $"(details->>'judge_output_candidate_second') || '|' || (details->>'judge_prompt_version') || '|' || (details->>'pair_flipped') || '|' || " +
            $"left(details->>'baseline_answer', 20) from results where run_id = '{summary.GetProperty("run_id").GetString()}' order by item_key");
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Contains("|correct|tie (flipped)|助手 A 的回答在前。[[A]]|助手 A 的回答在前。[[A]]|pairwise-zh-v1|1|", r));
        using var annotations = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.SharedDatasets, "alpacaeval_pairwise", "results", "alpaca-7b", "alpaca_eval_gpt4", "annotations.json")));
        var first = annotations.RootElement[0].GetProperty("output_1").GetString()!;
        Assert.EndsWith("|" + first[..Math.Min(20, first.Length)], rows.Single(r => r.StartsWith("0|", StringComparison.Ordinal)));

        // A re-scoring reads both stored replies again, calling no judge: the same verdicts.
        var rescoredJson = Path.Combine(Directory.CreateTempSubdirectory("pairwise-rescore-").FullName, "summary.json");
        var rescore = await CliProcess.RunAsync(lenient, Timeout, "runs", "rescore", summary.GetProperty("run_id").GetString()!, "--wait", "--json", rescoredJson);
        Assert.True(rescore.ExitCode == 0, rescore.ToString());
        using var rescored = JsonDocument.Parse(File.ReadAllText(rescoredJson));
        Assert.Equal(pairwise.GetRawText(), rescored.RootElement.GetProperty("tasks").GetProperty(Task).GetProperty("pairwise").GetRawText());
        // The other two baselines, with a judge that prefers the longer answer wherever it stands (no position bias):
        // a model asked live, and the stored run above (its answer 好的 to every item).
        const string longer = "baseline:pairjudge?prefer=longer";
        var longerCheck = await CliProcess.RunAsync(env, Timeout, "judge-check", "--mode", "pairwise", "--judge", longer, "--labels", Votes, "--limit", "5");
        Assert.True(longerCheck.ExitCode is 0 or 1, longerCheck.ToString());
        var anyKappa = new Dictionary<string, string>(env) { ["Judge__MinPairwiseKappa"] = "-1" };
        var candidate = "baseline:say?text=%E8%BF%99%E6%98%AF%E4%B8%80%E4%B8%AA%E6%AF%94%E8%BE%83%E9%95%BF%E7%9A%84%E5%9B%9E%E7%AD%94"; // 这是一个比较长的回答
        foreach (var (baseline, expected) in new[] { ("baseline:say?text=ok", "baseline:say?text=ok (baseline:say?text=ok), answered live"),
            (summary.GetProperty("run_id").GetString()!, $"run {summary.GetProperty("run_id").GetString()} (baseline:say?text=%E5%A5%BD%E7%9A%84)") })
        {
            var against = Path.Combine(Directory.CreateTempSubdirectory("pairwise-baseline-").FullName, "summary.json");
            var result = await CliProcess.RunAsync(anyKappa, Timeout, "run", "--model", candidate, "--suite", "alpacaeval", "--judge", longer, "--baseline", baseline,
                "--limit", "4", "--wait", "--json", against);
            Assert.True(result.ExitCode == 0, result.ToString());
            using var doc = JsonDocument.Parse(File.ReadAllText(against));
            var report = doc.RootElement.GetProperty("tasks").GetProperty(Task).GetProperty("pairwise");
            Assert.Equal((4, 0, 0, 0), (report.GetProperty("wins").GetInt32(), report.GetProperty("losses").GetInt32(), report.GetProperty("ties").GetInt32(), report.GetProperty("flipped").GetInt32()));
            Assert.Equal(100.0, report.GetProperty("win_rate").GetDouble());
            Assert.Equal(0.0, report.GetProperty("position_bias_rate").GetDouble());
            // Four wins and nothing else: no finite maximum, and the fit says so.
            var ratings = report.GetProperty("bradley_terry");
            Assert.Equal((4, false), (ratings.GetProperty("battles").GetInt32(), ratings.GetProperty("converged").GetBoolean()));
            Assert.Equal(["candidate", "baseline"], ratings.GetProperty("ratings").EnumerateArray().Select(r => r.GetProperty("model").GetString()));
            Assert.Equal(expected, doc.RootElement.GetProperty("pairwise_baseline").GetString());
        }
    }

    [SharedDatasetsFact("alpacaeval_pairwise", "prd_vicuna80_pairwise")]
    public async Task Judge_check_of_a_judge_of_known_agreement_equals_the_hand_computation_and_runs_refuse_unchecked_judges()
    {
        var env = await ImportAsync();
        const int limit = 200;
        var judge = $"baseline:pairjudge?prefer=labels&labels={Votes}&wrong_every=4";

        var never = await CliProcess.RunAsync(env, Timeout, "run", "--model", "baseline:say?text=ok", "--suite", "alpacaeval", "--judge", judge, "--limit", "2");
        Assert.True(never.ExitCode == 2, never.ToString());
        Assert.Contains("has not been checked against labels (pairwise, prompt pairwise-zh-v1)", never.StdErr);
        Assert.Contains("evals judge-check --mode pairwise", never.StdErr);

        var check = await CliProcess.RunAsync(env, Timeout, "judge-check", "--mode", "pairwise", "--judge", judge, "--labels", Votes, "--limit", limit.ToString(CultureInfo.InvariantCulture));
        var (votes, agreement, kappa) = HandComputed(RawItems(Votes).Take(limit).ToList(), every: 4);
        Assert.True(check.ExitCode == (kappa >= 0.4 ? 0 : 1), check.ToString());
        Assert.Contains($"{limit} pairs judged in both orders, {votes} human votes compared, 0 pairs without a readable verdict", check.StdOut);
        Assert.Contains($"agreement: {agreement.ToString("0.00", CultureInfo.InvariantCulture)}%", check.StdOut);
        Assert.Contains($"kappa: {kappa.ToString("0.0000", CultureInfo.InvariantCulture)}", check.StdOut);
        Assert.Contains("position bias: 0.00% of pairs changed verdict with the order (0 of 200)", check.StdOut);
        var stored = (await QueryAsync("select concat_ws('|', mode, prompt_version, items, coalesce(kappa::text, 'null'), agreement, coalesce(position_bias_rate::text, 'null'), labels_file) " +
            "from judge_checks where mode = 'pairwise' and (judge_name like '%wrong_every=4%' or judge_identity like '%wrong_every=4%') order by checked_at desc limit 1")).Single().Split('|');
        Assert.Equal(["pairwise", "pairwise-zh-v1", votes.ToString(CultureInfo.InvariantCulture)], stored[..3]);
        Assert.Equal(Math.Round(kappa, 6), double.Parse(stored[3], CultureInfo.InvariantCulture));
        Assert.Equal(Math.Round(agreement, 4), double.Parse(stored[4], CultureInfo.InvariantCulture));
        Assert.Equal(("0", "ratings-human"), (stored[5], stored[6]));

        // The same judge against a stricter deployment: refused with exit 2, nothing queued.
        var strict = new Dictionary<string, string>(env) { ["Judge__MinPairwiseKappa"] = "0.99" };
        var refused = await CliProcess.RunAsync(strict, Timeout, "run", "--model", "baseline:say?text=ok", "--suite", "alpacaeval", "--judge", judge, "--limit", "2", "--wait");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("below the required 0.99 (Judge:MinPairwiseKappa)", refused.StdErr);
        Assert.Equal("0", (await QueryAsync("select count(*)::text from runs where config::text like '%wrong_every=4%'")).Single());
    }

    /// <summary>Each (file, question)'s vote codes from the raw lines: files in ordinal name order, questions in first-appearance order.</summary>
    private static List<List<int>> RawItems(string folder)
    {
        var items = new List<List<int>>();
        foreach (var file in Directory.GetFiles(folder, "*.jsonl").OrderBy(Path.GetFileName, StringComparer.Ordinal))
        {
            var byQuestion = new Dictionary<int, List<int>>();
            foreach (var line in File.ReadLines(file).Where(l => l.Trim().Length > 0))
            {
                using var doc = JsonDocument.Parse(line);
                var q = doc.RootElement.GetProperty("question_id").GetInt32();
                if (!byQuestion.TryGetValue(q, out var votes)) items.Add(byQuestion[q] = votes = []);
                votes.Add(doc.RootElement.GetProperty("score").GetInt32());
            }
        }
        return items;
    }

    /// <summary>The judge's documented rule (most frequent vote, a tie between codes is a tie; every 4th item the other
    /// model, a tie → model1) against every vote: agreement (%) and kappa by the textbook formula.</summary>
    private static (int Votes, double Agreement, double Kappa) HandComputed(List<List<int>> items, int every)
    {
        var table = new double[4, 4];
        var n = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var counts = new int[4];
            foreach (var v in items[i]) counts[v]++;
            var max = counts.Max();
            var code = counts.Count(c => c == max) > 1 ? 3 : Array.IndexOf(counts, max);
            if (i % every == 0) code = code == 1 ? 2 : 1;
            foreach (var vote in items[i]) { table[vote, code]++; n++; }
        }
        double observed = 0, expected = 0;
        for (var k = 1; k <= 3; k++)
        {
            observed += table[k, k] / n;
            expected += (table[k, 1] + table[k, 2] + table[k, 3]) / n * ((table[1, k] + table[2, k] + table[3, k]) / n);
        }
        return (n, 100 * observed, (observed - expected) / (1 - expected));
    }

    private async Task<Dictionary<string, string>> ImportAsync()
    {
        var datasets = Directory.CreateTempSubdirectory("evals-alpacaeval-").FullName;
        Directory.CreateDirectory(Path.Combine(datasets, "alpacaeval", "alpaca_eval"));
        File.Copy(Path.Combine(RepoPaths.Datasets, "alpacaeval", "alpaca_eval", "task.json"), Path.Combine(datasets, "alpacaeval", "alpaca_eval", "task.json"));
        File.Copy(Path.Combine(RepoPaths.Datasets, "capabilities.json"), Path.Combine(datasets, "capabilities.json"));
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        var import = await CliProcess.RunAsync(env, Timeout, "import", "alpacaeval", "--path", Path.Combine(RepoPaths.SharedDatasets, "alpacaeval_pairwise"));
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("alpacaeval/alpaca_eval eval: 805 items", import.StdOut);
        // Issue 14, test 2 through the CLI: each shipped model's win rate and standard error as the leaderboard prints them.
        Assert.Contains("note: alpaca-7b vs text_davinci_003 (alpaca_eval_gpt4): win_rate 26.459627329192543, standard_error 1.535711469748, n_wins 205, n_wins_base 584, n_draws 16, n_total 805; equal to the published leaderboard", import.StdOut);
        Assert.Contains("note: text_davinci_001 vs text_davinci_003 (alpaca_eval_gpt4): win_rate 15.17412935323383, standard_error 1.235107892276849, n_wins 112, n_wins_base 672, n_draws 20, n_total 804; equal to the published leaderboard", import.StdOut);
        return env;
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
}
