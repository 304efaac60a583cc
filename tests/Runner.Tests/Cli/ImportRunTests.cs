using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Evals.TestKit;
using Npgsql;

namespace Evals.Runner.Tests.Cli;

/// <summary>
/// `evals import` of the shared official files through the real CLI into a copy of the shipped manifests, then baseline
/// runs whose scores are checked against counts made here, independently, from the official CSV and JSON files.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class ImportRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    /// <summary>C-Eval Hard, as its README lists it.</summary>
    private static readonly string[] Hard =
    [
        "advanced_mathematics", "discrete_mathematics", "probability_and_statistics", "college_chemistry",
        "college_physics", "high_school_mathematics", "high_school_chemistry", "high_school_physics",
    ];

    [SharedDatasetsFact("clue_afqmc")]
    public async Task Malformed_copies_are_refused_with_file_and_line_and_nothing_is_written_unless_skip_bad()
    {
        SharedDatasetsRule.Require("clue_afqmc");
        var datasets = DatasetsCopy.Manifests();
        var official = Directory.CreateTempSubdirectory("afqmc-").FullName;
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.SharedDatasets, "clue_afqmc", "dev.json"));
        lines[2] = lines[2][..^5];                                                // line 3: broken JSON
        lines[4] = lines[4].Replace("\"label\"", "\"lable\"", StringComparison.Ordinal);   // line 5: no label
        lines[6] = lines[6].Replace("\"label\": \"0\"", "\"label\": \"7\"", StringComparison.Ordinal)
            .Replace("\"label\": \"1\"", "\"label\": \"7\"", StringComparison.Ordinal);  // line 7: unknown label
        File.WriteAllLines(Path.Combine(official, "dev.json"), lines);
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);

        var refused = await CliProcess.RunAsync(env, Timeout, "import", "afqmc", "--path", official);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        foreach (var line in new[] { 3, 5, 7 }) Assert.Contains($"dev.json:{line}: ", refused.StdErr);
        Assert.False(File.Exists(Path.Combine(datasets, "clue", "afqmc", "data", "dev.jsonl")));

        var skipped = await CliProcess.RunAsync(env, Timeout, "import", "afqmc", "--path", official, "--skip-bad");
        Assert.True(skipped.ExitCode == 0, skipped.ToString());
        foreach (var line in new[] { 3, 5, 7 }) Assert.Contains($"dev.json:{line}: ", skipped.StdOut);
        var written = File.ReadAllLines(Path.Combine(datasets, "clue", "afqmc", "data", "dev.jsonl"));
        Assert.Equal(lines.Count(l => l.Trim().Length > 0) - 3, written.Length);
        Assert.Contains($"clue/afqmc dev: {written.Length} items", skipped.StdOut);
        Assert.Equal(written.Length, await ScalarAsync<int>("SELECT count(*)::int FROM items i JOIN tasks t ON t.id = i.task_id WHERE t.name = 'clue/afqmc'"));
    }

    [SharedDatasetsFact("ceval")]
    public async Task Ceval_baselines_equal_counts_from_the_official_files_per_subject_category_and_overall()
    {
        SharedDatasetsRule.Require("ceval");
        var datasets = DatasetsCopy.Manifests();
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        var ceval = Path.Combine(RepoPaths.SharedDatasets, "ceval");
        var import = await CliProcess.RunAsync(env, Timeout, "import", "ceval", "--path", ceval);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("imported 1606 items of 52 tasks into suite 'ceval'", import.StdOut);

        using var mapping = JsonDocument.Parse(File.ReadAllText(Path.Combine(ceval, "subject_mapping.json")));
        var subjects = mapping.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value[2].GetString()!);
        var data = subjects.Keys.ToDictionary(s => s, s => (
            Dev: CsvRows.Read(Path.Combine(ceval, "dev", $"{s}_dev.csv")),
            Val: CsvRows.Read(Path.Combine(ceval, "val", $"{s}_val.csv"))));

        foreach (var (spec, extra) in new[] { ("baseline:majority", Array.Empty<string>()), ("baseline:first", ["--circular"]), ("baseline:random?seed=3", []) })
        {
            var root = await RunAsync(env, spec, "ceval", extra);
            var scores = new Dictionary<string, double>();
            foreach (var (subject, (dev, val)) in data)
            {
                var pick = spec switch
                {
                    "baseline:first" => (Func<string, string>)(_ => "A"),
                    "baseline:majority" => _ => dev.GroupBy(r => r["answer"]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key,
                    _ => id => ((char)('A' + (int)(BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"3\nceval/{subject}\n{id}"))) % 4))).ToString(),
                };
                var correct = val.Count(r => r["answer"] == pick(r["id"]));
                var task = root.GetProperty("tasks").GetProperty($"ceval/{subject}");
                Assert.Equal(val.Count, task.GetProperty("n").GetInt32());
                Assert.Equal(correct, task.GetProperty("outcomes").GetProperty("correct").GetInt32());
                scores[subject] = 100.0 * correct / val.Count;
                Assert.Equal(scores[subject], task.GetProperty("score").GetDouble(), 1e-3);
                var (low, high) = (task.GetProperty("ci_low").GetDouble(), task.GetProperty("ci_high").GetDouble());
                Assert.True(low <= scores[subject] + 1e-9 && scores[subject] <= high + 1e-9, $"{subject}: {low}–{high} around {scores[subject]}");
                if (spec == "baseline:first")
                {
                    var metrics = task.GetProperty("metrics");
                    // Every rotation shows a different option at A, so always answering A is never right on all four.
                    Assert.Equal(0, metrics.GetProperty("circular").GetProperty("score").GetDouble());
                    Assert.Equal(scores[subject], metrics.GetProperty("acc_norm_chars").GetProperty("score").GetDouble(), 1e-3);
                }
            }
            var categories = root.GetProperty("categories").GetProperty("ceval");
            foreach (var category in subjects.Values.Distinct())
                Assert.Equal(subjects.Where(s => s.Value == category).Average(s => scores[s.Key]), categories.GetProperty(category).GetDouble(), 1e-3);
            Assert.Equal(Hard.Average(s => scores[s]), categories.GetProperty("Hard").GetDouble(), 1e-3);
            Assert.Equal(scores.Values.Average(), categories.GetProperty("overall").GetDouble(), 1e-3);
            // Capability: subjects normalised against four-option chance, then averaged; the only capability, so overall too.
            var normalised = scores.Values.Average(s => 100 * (s - 25) / 75);
            Assert.Equal(normalised, root.GetProperty("capabilities").GetProperty("知识与推理/学科考试").GetDouble(), 1e-3);
            Assert.Equal(normalised, root.GetProperty("overall").GetDouble(), 1e-3);
        }
    }

    [SharedDatasetsFact("fewclue/tnews")]
    public async Task A_k_shot_prompt_is_identical_across_two_runs_and_two_models()
    {
        SharedDatasetsRule.Require("fewclue/tnews");
        var datasets = DatasetsCopy.Manifests();
        Directory.CreateDirectory(Path.Combine(datasets, "kshot"));
        File.WriteAllText(Path.Combine(datasets, "kshot", "suite.json"), """{"name": "kshot", "include": ["clue/tnews"]}""");
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        var import = await CliProcess.RunAsync(env, Timeout, "import", "tnews", "--path", Path.Combine(RepoPaths.SharedDatasets, "fewclue", "tnews"));
        Assert.True(import.ExitCode == 0, import.ToString());

        var runs = new List<Guid>();
        foreach (var spec in new[] { "baseline:majority", "baseline:first", "baseline:majority" })
        {
            var root = await RunAsync(env, spec, "kshot", ["--shots", "3", "--limit", "5", "--mode", "generate"]);
            runs.Add(root.GetProperty("run_id").GetGuid());
        }
        var prompts = new List<Dictionary<string, string>>();
        foreach (var run in runs)
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT item_key, prompt FROM results WHERE run_id = $1", connection);
            command.Parameters.AddWithValue(run);
            var map = new Dictionary<string, string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) map[reader.GetString(0)] = reader.GetString(1);
            prompts.Add(map);
        }
        Assert.Equal(5, prompts[0].Count);
        foreach (var other in prompts.Skip(1)) Assert.Equal(prompts[0], other);
        // Three examples before the question: four titles in every prompt, and the same three examples for every item.
        foreach (var prompt in prompts[0].Values) Assert.Equal(4, prompt.Split("标题：").Length - 1);
        Assert.Single(prompts[0].Values.Select(p => p[..p.LastIndexOf("以下新闻标题", StringComparison.Ordinal)]).Distinct());
    }

    private async Task<JsonElement> RunAsync(Dictionary<string, string> env, string spec, string suite, string[] extra)
    {
        var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "out.json");
        var result = await CliProcess.RunAsync(env, Timeout, ["run", "--model", spec, "--suite", suite, "--wait", "--json", json, "--batch-size", "64", .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        return document.RootElement.Clone();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
