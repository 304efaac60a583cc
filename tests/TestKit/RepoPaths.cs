namespace Evals.TestKit;

/// <summary>Where the repository and the shared datasets are, found from the test assembly's folder.</summary>
public static class RepoPaths
{
    public static string Root => SharedDatasetsRule.RepositoryRoot;

    public static string Datasets => Path.Combine(Root, "datasets");

    /// <summary><c>../shared/datasets</c> beside the checkout (or <c>EVALS_SHARED_DATASETS</c>); see <see cref="SharedDatasetsRule"/>.</summary>
    public static string SharedDatasets => SharedDatasetsRule.Root;
}
