using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Evals.Storage.Embedded;
using Evals.TestKit;

namespace Evals.Web.Tests.Runs;

/// <summary>
/// The first start as the README tells it: no connection string, so the site starts its own cluster in
/// <c>Evals__DataDirectory</c> (StartupDatabase, DatabaseLocator, LocalPostgres), queues the three smoke baselines
/// (SmokeRunSeeder), and the CLI beside it finds that running cluster (`runs list`). A second start reuses the cluster
/// and queues nothing.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EmbeddedDefaultStartTests
{
    private static readonly string[] SeededModels = ["baseline:majority", "baseline:random?seed=1", "baseline:first"];

    /// <summary>Correct answers out of 24 per task, from the table in datasets/smoke/README.md.</summary>
    private static readonly Dictionary<string, Dictionary<string, int>> Published = new()
    {
        ["baseline:majority"] = new() { ["smoke/idioms"] = 9, ["smoke/commonsense"] = 8, ["smoke/sentiment"] = 10 },
        ["baseline:first"] = new() { ["smoke/idioms"] = 6, ["smoke/commonsense"] = 7, ["smoke/sentiment"] = 14 },
    };

    [Fact]
    public async Task First_start_makes_the_cluster_and_three_smoke_runs_the_CLI_finds_them_and_a_second_start_adds_nothing()
    {
        var home = Directory.CreateTempSubdirectory("evals-embedded-home-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Evals__DataDirectory"] = home,
            // 0: the operating system picks the port, so that parallel test runs never meet on 55432.
            ["Evals__EmbeddedPort"] = "0",
        };
        var postmasterPid = Path.Combine(home, "pg", "postmaster.pid");
        try
        {
            List<JsonElement> runs;
            string firstPid;
            await using (var site = await WebApp.StartEmbeddedAsync(settings))
            {
                Assert.Contains($"Using the embedded PostgreSQL cluster in {Path.Combine(home, "pg")} on 127.0.0.1:", site.Output);
                Assert.True(File.Exists(Path.Combine(home, "pg", "PG_VERSION")), site.Output);
                var password = Path.Combine(home, "pg.pass");
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(password));
                Assert.DoesNotContain(File.ReadAllText(password).Trim(), site.Output);
                firstPid = File.ReadLines(postmasterPid).First();

                runs = await WaitForSucceededRunsAsync(site);
                Assert.Equal(SeededModels.Order(), runs.Select(r => r.GetProperty("model").GetString()).Order());
                foreach (var run in runs)
                {
                    Assert.Equal("smoke", run.GetProperty("suite").GetString());
                    Assert.Equal(72, run.GetProperty("total").GetInt32());
                    Assert.Equal(72, run.GetProperty("completed").GetInt32());
                    Assert.Equal(0, run.GetProperty("failed").GetInt32());
                    await AssertScoresAsync(site, run.GetProperty("id").GetGuid(), run.GetProperty("model").GetString()!);
                }
            }

            // The site is gone but its cluster runs on; the CLI, told nothing but the data folder, finds it and its password.
            var cli = await CliProcess.RunAsync(new Dictionary<string, string>(settings) { ["ConnectionStrings__Evals"] = "" },
                TimeSpan.FromMinutes(2), "runs", "list");
            Assert.True(cli.ExitCode == 0, cli.ToString());
            Assert.Contains($"Using the embedded PostgreSQL cluster in {Path.Combine(home, "pg")}", cli.StdErr);
            Assert.Equal(firstPid, File.ReadLines(postmasterPid).First());
            var rows = TableRows(cli.StdOut);
            Assert.Equal(3, rows.Count);
            // Newest first: the seeder queues in the order of SeededModels.
            Assert.Equal(runs.OrderByDescending(r => r.GetProperty("created_at").GetDateTimeOffset())
                    .Select(r => new[] { r.GetProperty("id").GetString()!, r.GetProperty("model").GetString()!, "smoke", "succeeded", "72/72", "0" }),
                rows.Select(r => r[..6]));
            Assert.Equal(SeededModels.Reverse(), rows.Select(r => r[1]));

            await using (var again = await WebApp.StartEmbeddedAsync(settings))
            {
                await again.WaitForOutputAsync("Smoke runs not queued: the database already holds runs", TimeSpan.FromMinutes(1));
                Assert.Equal(firstPid, File.ReadLines(postmasterPid).First());
                var listed = await again.Client.GetFromJsonAsync<List<JsonElement>>("api/runs?take=100");
                Assert.Equal(runs.Select(r => r.GetProperty("id").GetGuid()).Order(), listed!.Select(r => r.GetProperty("id").GetGuid()).Order());
            }
        }
        finally
        {
            await LocalPostgres.Create(new LocalPostgresOptions(home)).StopAsync(immediate: true);
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task<List<JsonElement>> WaitForSucceededRunsAsync(WebApp site)
    {
        List<JsonElement> runs = [];
        await Poll.UntilAsync(async () =>
        {
            runs = (await site.Client.GetFromJsonAsync<List<JsonElement>>("api/runs?take=100"))!;
            return runs.Count == 3 && runs.All(r => r.GetProperty("status").GetString() == "succeeded");
        }, TimeSpan.FromMinutes(2), "three succeeded smoke runs", () => site.Output);
        return runs;
    }

    private static async Task AssertScoresAsync(WebApp site, Guid runId, string model)
    {
        using var summary = JsonDocument.Parse(await site.Client.GetStringAsync($"api/runs/{runId}"));
        var tasks = summary.RootElement.GetProperty("tasks");
        var expected = Published.TryGetValue(model, out var published) ? published : RandomBaselineCorrect(seed: 1);
        Assert.Equal(expected.Keys.Order(), tasks.EnumerateObject().Select(t => t.Name).Order());
        foreach (var (task, correct) in expected)
        {
            var score = tasks.GetProperty(task);
            Assert.Equal(24, score.GetProperty("n").GetInt32());
            Assert.Equal(correct, score.GetProperty("outcomes").GetProperty("correct").GetInt32());
            Assert.Equal(100.0 * correct / 24, score.GetProperty("score").GetDouble(), 3);
        }
    }

    /// <summary>
    /// The seeded random baseline's documented rule, written out here: choice = first 8 bytes (little-endian) of
    /// SHA-256("seed\ntask\nitem id") modulo the number of choices, counted against the data files' answers.
    /// </summary>
    private static Dictionary<string, int> RandomBaselineCorrect(int seed)
    {
        var counts = new Dictionary<string, int>();
        foreach (var folder in Directory.GetDirectories(Path.Combine(RepoPaths.Datasets, "smoke")))
        {
            var task = $"smoke/{Path.GetFileName(folder)}";
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "task.json")));
            var answerField = manifest.RootElement.GetProperty("answer_field").GetString()!;
            string[] choices = manifest.RootElement.TryGetProperty("labels", out var labels)
                ? [.. labels.EnumerateArray().Select(l => l.GetProperty("value").GetString()!)]
                : ["A", "B", "C", "D"];
            counts[task] = File.ReadLines(Path.Combine(folder, "test.jsonl")).Where(l => l.Trim().Length > 0).Count(line =>
            {
                using var item = JsonDocument.Parse(line);
                var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{task}\n{item.RootElement.GetProperty("id").GetString()}"));
                var pick = (int)(BitConverter.ToUInt64(hash) % (ulong)choices.Length);
                return choices[pick] == item.RootElement.GetProperty(answerField).GetString();
            });
        }
        return counts;
    }

    /// <summary>The body rows of a Spectre table (box drawing or ASCII borders), header left out.</summary>
    private static List<string[]> TableRows(string text) =>
        [.. text.Split('\n')
            .Where(l => l.Contains('│') || l.TrimStart().StartsWith('|'))
            .Select(l => l.Split('│', '|').Select(c => c.Trim()).ToArray()[1..^1])
            .Where(cells => cells.Length > 0 && cells[0] != "id")];
}
