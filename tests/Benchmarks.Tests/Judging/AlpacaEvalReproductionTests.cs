using Evals.Benchmarks.Judging;
using Evals.TestKit;

namespace Evals.Benchmarks.Tests.Judging;

/// <summary>
/// Issue 14, test 2 (the arithmetic): the published AlpacaEval 1.0 win rates and standard errors of the models whose
/// annotations ship recompute from those annotations exactly, as the leaderboard file prints them (Python's shortest
/// round-trip form, so equal doubles).
/// </summary>
public sealed class AlpacaEvalReproductionTests
{
    private const string Leaderboard = "src/alpaca_eval/leaderboards/data_AlpacaEval/alpaca_eval_gpt4_leaderboard.csv";

    [SharedDatasetsTheory("alpacaeval_pairwise")]
    [InlineData("alpaca-7b")]
    [InlineData("text_davinci_001")]
    public void Published_win_rate_and_standard_error_reproduce_exactly(string model)
    {
        var root = SharedDatasets.Get("alpacaeval_pairwise");
        var annotations = AlpacaEvalAnnotations.Read(Path.Combine(root, "results", model, "alpaca_eval_gpt4", "annotations.json"));
        Assert.Equal(805, annotations.Count);
        Assert.All(annotations, a => Assert.Equal(("text_davinci_003", model), (a.Generator1, a.Generator2)));
        var published = AlpacaEvalLeaderboard.Read(Path.Combine(root, Leaderboard)).Single(r => r.Model == model);

        var ours = AlpacaEvalWinRate.Describe(annotations.Select(a => a.Preference));
        Assert.Equal(published.WinRate, ours.WinRate);
        Assert.Equal(published.StandardError, ours.StandardError);
        Assert.Equal((published.Wins, published.WinsBase, published.Draws, published.Total), (ours.Wins, ours.WinsBase, ours.Draws, ours.Total));
        Assert.Equal(published.WinRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ours.WinRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(published.AverageLength, (int)annotations.Average(a => (double)a.Output2.EnumerateRunes().Count()));
    }

    [Fact]
    public void Standard_error_needs_numpys_summation_order()
    {
        // text_davinci_001's preferences (112 wins, 672 losses, 20 draws): a left-to-right sum of the squared deviations
        // gives 1.2351078922768464, not the published 1.235107892276849; NumPy's pairwise order gives the published value.
        var preferences = Enumerable.Repeat<double?>(2.0, 112).Concat(Enumerable.Repeat<double?>(1.0, 672)).Concat(Enumerable.Repeat<double?>(0.0, 20)).ToList();
        Assert.Equal(1.235107892276849, AlpacaEvalWinRate.Describe(preferences).StandardError);
    }

    [Fact]
    public void Draws_count_half_and_invalid_preferences_are_dropped()
    {
        var d = AlpacaEvalWinRate.Describe([2, 1, 0, 1.5, null, 2]);
        Assert.Equal((2, 1, 2, 5, 1), (d.Wins, d.WinsBase, d.Draws, d.Total, d.Dropped));
        Assert.Equal(100 * (2 + 2 * 0.5) / 5, d.WinRate, 12);
    }

    [Fact]
    public void A_bad_annotation_is_named_by_file_line_and_field()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("evals-alpacaeval-").FullName, "annotations.json");
        File.WriteAllText(path, "[\n{\"instruction\": \"a\", \"output_1\": \"x\", \"generator_1\": \"b\", \"output_2\": \"y\", \"generator_2\": \"m\", \"preference\": 2},\n" +
            "{\"instruction\": \"a\", \"output_1\": \"x\", \"generator_1\": \"b\", \"output_2\": \"y\", \"generator_2\": \"m\", \"preference\": \"2\"}\n]");
        var e = Assert.Throws<FormatException>(() => AlpacaEvalAnnotations.Read(path));
        Assert.StartsWith($"{path}:3: field 'preference'", e.Message);
    }
}

/// <summary><c>evals import alpacaeval</c>'s reader: the instructions with the baseline's answers, and every shipped model scored.</summary>
public sealed class PairwiseAlpacaEvalReaderTests
{
    [SharedDatasetsFact("alpacaeval_pairwise")]
    public void Import_reads_the_instructions_and_reports_each_model_equal_to_the_leaderboard()
    {
        var result = SharedDatasets.Import("alpacaeval", "alpacaeval_pairwise");
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var task = result.Task("alpaca_eval");
        Assert.Equal(805, task.Count("eval"));
        Assert.Equal("text_davinci_003", task.Items[0].GetString("baseline_model"));
        Assert.False(string.IsNullOrWhiteSpace(task.Items[0].GetString("baseline_output")));
        Assert.Equal(2, result.Notes.Count);
        Assert.Contains(result.Notes, n => n.StartsWith("alpaca-7b vs text_davinci_003 (alpaca_eval_gpt4): win_rate 26.459627329192543, standard_error 1.535711469748,", StringComparison.Ordinal)
            && n.EndsWith("; equal to the published leaderboard", StringComparison.Ordinal));
        Assert.Contains(result.Notes, n => n.StartsWith("text_davinci_001 vs text_davinci_003 (alpaca_eval_gpt4): win_rate 15.17412935323383, standard_error 1.235107892276849,", StringComparison.Ordinal)
            && n.EndsWith("; equal to the published leaderboard", StringComparison.Ordinal));
    }
}
