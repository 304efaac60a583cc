using System.Globalization;
using System.Text.Json;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Cli;

/// <summary>
/// Suite <c>math</c> end to end through the real CLI: `evals import cmath` and `mgsm` of the shared official files, a
/// replayed set of outputs whose correctness is known by construction (scored exactly, CMATH per grade against a count
/// made here from the official file), and self-consistency over replayed samples.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class MathRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    /// <summary>How the replayed answer of CMATH line n is written, and whether it is right.</summary>
    private enum Kind { Phrase, LastNumber, Boxed, Wrong, NoNumber }

    private static Kind CmathKind(int n) => (n % 4, n % 8) switch
    {
        (1, _) => Kind.Phrase,
        (2, _) => Kind.LastNumber,
        (0, _) => Kind.Wrong,
        (_, 7) => Kind.Boxed,
        _ => Kind.NoNumber,
    };

    [SharedDatasetsFact("cmath", "mgsm_zh")]
    public async Task Replayed_outputs_score_exactly_per_task_and_grade_and_samples_vote_only_when_sampling_is_on()
    {
        var datasets = DatasetsCopy.Manifests();
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        var cmathPath = SharedDatasetsRule.Require("cmath");
        var mgsmPath = SharedDatasetsRule.Require("mgsm_zh");
        foreach (var (format, path, count) in new[] { ("cmath", cmathPath, 600), ("mgsm", mgsmPath, 250) })
        {
            var import = await CliProcess.RunAsync(env, Timeout, "import", format, "--path", path);
            Assert.True(import.ExitCode == 0, import.ToString());
            Assert.Contains($"imported {count} items of 1 tasks into suite 'math'", import.StdOut);
        }

        // The official files, read here on their own: CMATH's grade and gold per line, MGSM's gold per line.
        var cmath = File.ReadAllLines(Path.Combine(cmathPath, "datasets", "cmath_dev.jsonl")).Where(l => l.Trim().Length > 0)
            .Select((l, i) => (N: i + 1, Doc: JsonDocument.Parse(l).RootElement))
            .Select(x => (x.N, Grade: x.Doc.GetProperty("grade").GetInt32(), Gold: x.Doc.GetProperty("golden").GetString()!)).ToList();
        var mgsm = File.ReadAllLines(Path.Combine(mgsmPath, "mgsm", "mgsm_zh.tsv")).Where(l => l.Length > 0)
            .Select((l, i) => (N: i + 1, Gold: l.Split('\t')[1])).ToList();

        var lines = new List<string>();
        foreach (var (n, _, gold) in cmath)
        {
            var wrong = "1000003"; // no CMATH gold is within 1% of it
            var output = CmathKind(n) switch
            {
                Kind.Phrase => $"一步一步算。\n答案是：{gold}",
                Kind.LastNumber => $"算出来是 {gold}",
                Kind.Boxed => $"所以 \\boxed{{{gold}}}",
                Kind.Wrong => $"答案是：{wrong}",
                _ => "这道题我不会做。",
            };
            // Samples: right by majority on odd lines; on lines 4k+2 wrong by majority; on 4k a 1–1 tie (one sample has no
            // number), which the first sample's answer wins: wrong.
            string[] samples = (n % 2, n % 4) switch
            {
                (1, _) => [$"答案是 {gold}", $"答案是 {wrong}", $"答案是 {gold}"],
                (_, 2) => [$"答案是 {wrong}", $"答案是 {gold}", $"答案是 {wrong}"],
                _ => [$"答案是 {wrong}", "不会", $"答案是 {gold}"],
            };
            lines.Add(JsonSerializer.Serialize(new { task = "math/cmath", item_id = n.ToString(CultureInfo.InvariantCulture), output, samples }));
        }
        // MGSM: every fifth answer wrong; golds keep their thousands separators (2,125), as the model may write them.
        foreach (var (n, gold) in mgsm)
            lines.Add(JsonSerializer.Serialize(new { task = "math/mgsm_zh", item_id = n.ToString(CultureInfo.InvariantCulture),
                output = n % 5 == 0 ? "答案：1" : $"推理……\n答案：{gold}" }));
        var file = Path.Combine(Directory.CreateTempSubdirectory("evals-math-replay-").FullName, "outputs.jsonl");
        File.WriteAllLines(file, lines);
        var spec = $"baseline:replay?file={file}";

        var root = await RunAsync(env, "run", "--model", spec, "--suite", "math", "--wait");
        var cmathTask = root.GetProperty("tasks").GetProperty("math/cmath");
        // 600 lines: 150 phrase + 150 last number + 75 boxed right, 150 wrong, 75 with no number.
        Assert.Equal(62.5, cmathTask.GetProperty("score").GetDouble(), 6);
        Assert.Equal(600, cmathTask.GetProperty("n").GetInt32());
        Assert.Equal((375, 150, 75), Outcomes(cmathTask));
        Assert.Equal("grade", cmathTask.GetProperty("breakdown_field").GetString());
        var breakdown = cmathTask.GetProperty("breakdown");
        foreach (var grade in Enumerable.Range(1, 6))
        {
            var items = cmath.Where(c => c.Grade == grade).ToList();
            var right = items.Count(c => CmathKind(c.N) is Kind.Phrase or Kind.LastNumber or Kind.Boxed);
            var cell = breakdown.GetProperty(grade.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(items.Count, cell.GetProperty("n").GetInt32());
            Assert.Equal(100.0 * right / items.Count, cell.GetProperty("score").GetDouble(), 4);
        }
        var extraction = cmathTask.GetProperty("extraction");
        Assert.Equal((150 + 150, 150, 75, 75), (extraction.GetProperty("answer_phrase").GetInt32(), extraction.GetProperty("last_number").GetInt32(),
            extraction.GetProperty("boxed").GetInt32(), extraction.GetProperty("no_number").GetInt32()));
        var mgsmTask = root.GetProperty("tasks").GetProperty("math/mgsm_zh");
        Assert.Equal(80, mgsmTask.GetProperty("score").GetDouble(), 6);
        Assert.Equal((200, 50, 0), Outcomes(mgsmTask));
        // Chance is 0 for a numeric answer: the capability is the mean of the raw scores.
        Assert.Equal((62.5 + 80) / 2, root.GetProperty("capabilities").GetProperty("数学推理").GetDouble(), 4);

        var greedy = await CliProcess.RunAsync(env, Timeout, "run", "--model", spec, "--suite", "math", "--samples", "3", "--wait");
        Assert.True(greedy.ExitCode == 2, greedy.ToString());
        Assert.Contains("--samples 3: sampling is off (temperature 0)", greedy.StdErr);

        var voted = await RunAsync(env, "run", "--model", spec, "--suite", "math", "--samples", "3", "--temperature", "0.7", "--wait");
        Assert.Equal("majority vote of 3 samples per numeric-answer item at temperature 0.7", voted.GetProperty("self_consistency").GetString());
        var votedCmath = voted.GetProperty("tasks").GetProperty("math/cmath");
        Assert.Equal(50, votedCmath.GetProperty("score").GetDouble(), 6);
        Assert.Equal(600, votedCmath.GetProperty("extraction").GetProperty("majority_of_3").GetInt32());
        Assert.Equal(80, voted.GetProperty("tasks").GetProperty("math/mgsm_zh").GetProperty("score").GetDouble(), 6); // no samples: 3 × the output

        await using var db = Migrator.CreateContext(database.ConnectionString);
        var runId = voted.GetProperty("run_id").GetGuid();
        var cmathIds = await db.Tasks.AsNoTracking().Where(t => t.Name == "math/cmath").Select(t => t.Id).ToListAsync();
        var tie = await db.Results.AsNoTracking().Where(r => r.RunId == runId && r.ItemKey == "4" && cmathIds.Contains(r.TaskId))
            .Select(r => new { r.Parsed, r.Outcome, r.Details }).SingleAsync();
        Assert.Equal(("1000003", "wrong"), (tie.Parsed, tie.Outcome));
        using var details = JsonDocument.Parse(tie.Details!);
        Assert.Equal(["1000003", null, cmath[3].Gold], details.RootElement.GetProperty("votes").EnumerateArray().Select(v => v.GetProperty("answer").GetString()));

        // Re-scoring votes again from the stored samples, calling no model.
        var rescored = await RunAsync(env, "runs", "rescore", runId.ToString(), "--wait");
        Assert.Equal(50, rescored.GetProperty("tasks").GetProperty("math/cmath").GetProperty("score").GetDouble(), 6);
        Assert.Equal(600, rescored.GetProperty("tasks").GetProperty("math/cmath").GetProperty("extraction").GetProperty("majority_of_3").GetInt32());
    }

    private static (int Correct, int Wrong, int Unparseable) Outcomes(JsonElement task)
    {
        var outcomes = task.GetProperty("outcomes");
        return (outcomes.GetProperty("correct").GetInt32(), outcomes.GetProperty("wrong").GetInt32(), outcomes.GetProperty("unparseable").GetInt32());
    }

    private static async Task<JsonElement> RunAsync(Dictionary<string, string> env, params string[] args)
    {
        var json = Path.Combine(Directory.CreateTempSubdirectory("evals-math-run-").FullName, "summary.json");
        var result = await CliProcess.RunAsync(env, Timeout, [.. args, "--json", json]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone();
    }
}
