using System.Text.Json;
using Evals.TestKit;

namespace Evals.Runner.Tests.Onnx;

/// <summary>The in-process engine through the real CLI and a worker: a tiny model made by `onnx make-tiny`, run on the smoke suite.</summary>
[Collection(ProcessTests.Name)]
public sealed class OnnxCliTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_tiny_onnx_model_is_evaluated_on_the_smoke_suite_by_loglikelihood_and_by_generation()
    {
        var env = RunnerEnvironment.For(database.ConnectionString);
        var folder = Directory.CreateTempSubdirectory("evals-tiny-").FullName;
        var make = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "onnx", "make-tiny", "--out", folder);
        Assert.True(make.ExitCode == 0, make.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "model.onnx")));

        var json = Path.Combine(folder, "summary.json");
        var run = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"onnx:{folder}", "--suite", "smoke", "--wait", "--json", json);
        Assert.True(run.ExitCode == 0, run.ToString());
        using (var summary = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal("loglikelihood", summary.RootElement.GetProperty("mode").GetString());
            foreach (var task in summary.RootElement.GetProperty("tasks").EnumerateObject())
            {
                // Every item was scored by the model: none errored, none unparseable (log-likelihood always picks an option).
                Assert.Equal(24, task.Value.GetProperty("n").GetInt32());
                Assert.Equal(0, task.Value.GetProperty("outcomes").GetProperty("error").GetInt32());
            }
        }

        // The same model, deterministic: a second run gives the same scores.
        var again = Path.Combine(folder, "again.json");
        var rerun = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"onnx:{folder}", "--suite", "smoke", "--wait", "--json", again);
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal(Scores(json), Scores(again));

        var generate = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(3), "run", "--model", $"onnx:{folder}", "--suite", "smoke",
            "--mode", "generate", "--limit", "2", "--wait", "--json", Path.Combine(folder, "gen.json"));
        Assert.True(generate.ExitCode == 0, generate.ToString());
        using var gen = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "gen.json")));
        Assert.Equal("generate", gen.RootElement.GetProperty("mode").GetString());
        Assert.All(gen.RootElement.GetProperty("tasks").EnumerateObject(), t => Assert.Equal(0, t.Value.GetProperty("outcomes").GetProperty("error").GetInt32()));
    }

    [Fact]
    public async Task A_missing_model_folder_is_bad_input_named_in_one_line()
    {
        var result = await CliProcess.RunAsync(RunnerEnvironment.For(database.ConnectionString), TimeSpan.FromMinutes(1),
            "run", "--model", "onnx:/nonexistent/model-folder", "--suite", "smoke");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("/nonexistent/model-folder", result.StdErr);
    }

    private static Dictionary<string, double> Scores(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        return doc.RootElement.GetProperty("tasks").EnumerateObject().ToDictionary(t => t.Name, t => t.Value.GetProperty("score").GetDouble());
    }
}
