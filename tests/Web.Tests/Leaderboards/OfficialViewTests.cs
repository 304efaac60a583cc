using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Evals.TestKit;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// C-Eval's leaderboard opens on C-Eval's own columns (Avg, Avg(Hard), STEM, Social Science, Humanities, Other) computed
/// as C-Eval computes them — accuracy per subject, then the mean over subjects — checked against a hand count from the
/// official CSV files; subjects are one click away; the CSV export carries the same numbers.
/// </summary>
public sealed class OfficialViewTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly string[] Hard =
    [
        "advanced_mathematics", "discrete_mathematics", "probability_and_statistics", "college_chemistry",
        "college_physics", "high_school_mathematics", "high_school_chemistry", "high_school_physics",
    ];

    [SharedDatasetsFact("ceval")]
    public async Task The_ceval_view_equals_cevals_own_aggregation_of_a_hand_counted_run_and_the_csv_export_says_the_same()
    {
        SharedDatasetsRule.Require("ceval");
        var datasets = DatasetsCopy.Manifests();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Evals"] = database.ConnectionString,
            ["Runner__Datasets"] = datasets,
        };
        var ceval = Path.Combine(RepoPaths.SharedDatasets, "ceval");
        var import = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(4), "import", "ceval", "--path", ceval);
        Assert.True(import.ExitCode == 0, import.ToString());
        var run = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(4), "run", "--model", "baseline:first", "--suite", "ceval", "--wait", "--batch-size", "128");
        Assert.True(run.ExitCode == 0, run.ToString());

        // Hand count: always answering A, per subject from the official val CSVs; C-Eval's categories from its own mapping.
        using var mapping = JsonDocument.Parse(File.ReadAllText(Path.Combine(ceval, "subject_mapping.json")));
        var category = mapping.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value[2].GetString()!);
        var scores = category.Keys.ToDictionary(s => s, s =>
        {
            var answers = CsvRows.Read(Path.Combine(ceval, "val", $"{s}_val.csv")).Select(r => r["answer"]).ToList();
            return 100.0 * answers.Count(a => a == "A") / answers.Count;
        });
        var expected = new Dictionary<string, double>
        {
            ["overall"] = scores.Values.Average(),
            ["Hard"] = Hard.Average(s => scores[s]),
        };
        foreach (var c in category.Values.Distinct()) expected[c] = category.Where(s => s.Value == c).Average(s => scores[s.Key]);
        Assert.Equal(6, expected.Count);

        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Runner__Datasets"] = datasets });
        var board = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=ceval");
        Assert.Equal(["overall", "Hard", "STEM", "Social Science", "Humanities", "Other"],
            board.GetProperty("view_columns").EnumerateArray().Select(c => c.GetProperty("key").GetString()));
        var row = Assert.Single(board.GetProperty("rows").EnumerateArray());
        var categories = row.GetProperty("categories");
        foreach (var (key, value) in expected) Assert.Equal(value, categories.GetProperty(key).GetDouble(), 1e-3);

        // The page opens on those six columns, not on 52 subjects; the subjects view has every subject.
        var page = await app.Client.GetStringAsync("leaderboard?suite=ceval");
        Assert.Equal(6, CountOf(page, "<th class=\"category\">"));
        Assert.Equal(0, CountOf(page, "<th class=\"task\">"));
        Assert.Contains("难 Avg(Hard)", page);
        Assert.Contains($"data-category=\"Hard\">{expected["Hard"]:0.0}<", page);
        var subjects = await app.Client.GetStringAsync("leaderboard?suite=ceval&view=tasks");
        Assert.Equal(52, CountOf(subjects, "<th class=\"task\">"));

        var csv = await app.Client.GetAsync("api/leaderboard?suite=ceval&format=csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "board.csv");
        await File.WriteAllBytesAsync(file, await csv.Content.ReadAsByteArrayAsync());
        var exported = Assert.Single(CsvRows.Read(file));
        Assert.Equal("baseline:first", exported["model"]);
        foreach (var (key, value) in expected) Assert.Equal(value, double.Parse(exported[$"category:{key}"], System.Globalization.CultureInfo.InvariantCulture), 1e-3);
        foreach (var (subject, score) in scores) Assert.Equal(score, double.Parse(exported[$"ceval/{subject}"], System.Globalization.CultureInfo.InvariantCulture), 1e-3);
        Assert.Equal(row.GetProperty("overall").GetDouble(), double.Parse(exported["overall"], System.Globalization.CultureInfo.InvariantCulture), 1e-3);

        // The static snapshot shows the same official columns and subjects, figure for figure.
        var site = Directory.CreateTempSubdirectory("evals-site-").FullName;
        var export = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(2), "leaderboard", "export", "--html", site, "--suite", "ceval");
        Assert.True(export.ExitCode == 0, export.ToString());
        var official = await File.ReadAllTextAsync(Path.Combine(site, "ceval.html"));
        Assert.Equal(6, CountOf(official, "<th class=\"category\">"));
        Leaderboards.SnapshotHtml.AssertEqualsApi(board, official);
        Leaderboards.SnapshotHtml.AssertEqualsApi(await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=ceval&view=tasks"),
            await File.ReadAllTextAsync(Path.Combine(site, "ceval-tasks.html")));

        var bad = await app.Client.GetAsync("api/leaderboard?suite=ceval&format=xml&view=columns");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("'xml' is not json or csv", problem.GetProperty("errors").GetProperty("format")[0].GetString());
        Assert.Contains("'columns' is not official or tasks", problem.GetProperty("errors").GetProperty("view")[0].GetString());
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
