using System.Text.Json;
using Evals.TestKit;

namespace Evals.Runner.Tests.Cli;

/// <summary>
/// The generation path end to end through the real CLI: `evals import wmt` of the official WMT22 files (a broken copy
/// refused first), then a replayed run of one WMT22 system's published outputs whose corpus BLEU must equal the figure
/// the library test pins for that system (WmtBleuTests), now computed from the per-item statistics stored in PostgreSQL.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class GenerationImportRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [SharedDatasetsFact("wmt22_en_zh")]
    public async Task Wmt_import_and_a_replayed_system_give_its_corpus_bleu()
    {
        var official = Path.Combine(SharedDatasetsRule.Require("wmt22_en_zh"), "txt");
        var datasets = DatasetsCopy.Manifests();
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);

        var broken = Directory.CreateTempSubdirectory("wmt-").FullName;
        Directory.CreateDirectory(Path.Combine(broken, "sources"));
        Directory.CreateDirectory(Path.Combine(broken, "references"));
        File.Copy(Path.Combine(official, "sources", "generaltest2022.en-zh.src.en"), Path.Combine(broken, "sources", "generaltest2022.en-zh.src.en"));
        var refA = File.ReadAllLines(Path.Combine(official, "references", "generaltest2022.en-zh.ref.A.zh"));
        refA[9] = "";
        File.WriteAllLines(Path.Combine(broken, "references", "generaltest2022.en-zh.ref.A.zh"), refA);
        var refused = await CliProcess.RunAsync(env, Timeout, "import", "wmt", "--path", broken);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("generaltest2022.en-zh.ref.A.zh:10: field 'references': empty line", refused.StdErr);
        Assert.False(File.Exists(Path.Combine(datasets, "cuge", "wmt22_en_zh", "data", "test.jsonl")));

        var import = await CliProcess.RunAsync(env, Timeout, "import", "wmt", "--path", official);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("cuge/wmt22_en_zh test: 2037 items", import.StdOut);

        var outputs = File.ReadAllLines(Path.Combine(official, "system-outputs", "generaltest2022.en-zh.hyp.LanguageX.zh"));
        var replay = Path.Combine(Directory.CreateTempSubdirectory().FullName, "languagex.jsonl");
        File.WriteAllLines(replay, outputs.Select((o, i) => JsonSerializer.Serialize(new { task = "cuge/wmt22_en_zh", item_id = (i + 1).ToString(), output = o })));
        var json = Path.Combine(Directory.CreateTempSubdirectory().FullName, "out.json");
        var run = await CliProcess.RunAsync(env, Timeout, "run", "--model", $"baseline:replay?file={replay}", "--suite", "cuge", "--wait", "--json", json, "--batch-size", "256");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        var task = summary.RootElement.GetProperty("tasks").GetProperty("cuge/wmt22_en_zh");
        Assert.Equal("bleu", task.GetProperty("metric").GetString());
        Assert.Equal(72.8779, task.GetProperty("score").GetDouble());
        Assert.Equal(2037, task.GetProperty("n").GetInt32());
        Assert.Equal("nrefs:2|case:mixed|eff:no|tok:zh|smooth:exp|version:evals-1", task.GetProperty("signature").GetString());
        Assert.True(task.GetProperty("ci_low").GetDouble() < 72.8779 && 72.8779 < task.GetProperty("ci_high").GetDouble());
        Assert.True(task.GetProperty("metrics").GetProperty("rouge_l").GetProperty("score").GetDouble() > 0);
    }
}
