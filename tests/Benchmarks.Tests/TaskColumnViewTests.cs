using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Tests;

/// <summary>
/// CLUE's and the math suite's official views are their task lists with the plain mean of the task scores (CLUE's 总分),
/// declared in their suite.json; a column that names neither a category nor a task of the suite is refused.
/// </summary>
public class TaskColumnViewTests
{
    private static readonly string Datasets = Path.Combine(SharedDatasets.RepositoryRoot, "datasets");

    [Theory]
    [InlineData("clue")]
    [InlineData("math")]
    public void The_view_shows_every_task_of_the_suite_and_an_overall_equal_to_the_mean_of_the_task_cells(string suite)
    {
        var catalog = new SuiteCatalog(Datasets);
        var view = catalog.ViewOf(suite);
        Assert.NotNull(view);
        var tasks = catalog.Manifests(suite).Select(m => m.Manifest).ToList();
        Assert.Equal([CategoryAverages.Overall, .. tasks.Select(t => t.Name).Order(StringComparer.Ordinal)],
            [view.Columns[0].Key, .. view.Columns.Skip(1).Select(c => c.Key).Order(StringComparer.Ordinal)]);

        // Distinct scores per task, so a cell showing another task's score or a weighted mean would fail.
        var cells = tasks.Select((t, i) => (Name: $"{suite}/{t.Name}", t.Categories, Score: 31.5 + 7.25 * i)).ToList();
        var figures = CategoryAverages.Compute(cells.Select(c => (c.Name, view.CategoriesOf(c.Name, c.Categories), c.Score)).ToList(), view.OverallOf);

        foreach (var (name, _, score) in cells) Assert.Equal(score, figures[name[(suite.Length + 1)..]], 1e-9);
        Assert.Equal(cells.Average(c => c.Score), figures[CategoryAverages.Overall], 1e-9);
        Assert.Equal(view.Columns.Count, figures.Count);
    }

    [Fact]
    public void A_column_naming_no_category_and_no_task_of_the_suite_is_refused_with_the_file_and_field()
    {
        var root = Directory.CreateTempSubdirectory().FullName;
        var suite = Path.Combine(root, "clue");
        Directory.CreateDirectory(Path.Combine(suite, "ocnli"));
        File.Copy(Path.Combine(Datasets, "clue", "ocnli", "task.json"), Path.Combine(suite, "ocnli", "task.json"));
        var file = Path.Combine(suite, SuiteManifest.FileName);
        File.WriteAllText(file, """{"name": "clue", "leaderboard": {"columns": [{"key": "overall", "label": "总分"}, {"key": "ocnli", "label": "OCNLI"}, {"key": "afqmc", "label": "AFQMC"}]}}""");

        var error = Assert.Throws<TaskDataException>(() => SuiteManifest.Read(file));
        Assert.Contains(file, error.Message);
        Assert.Contains("'leaderboard.columns': 'afqmc'", error.Message);
        Assert.Contains("ocnli", error.Message);
    }
}
