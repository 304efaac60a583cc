using Evals.TestKit;

namespace Evals.Benchmarks.Tests;

/// <summary>
/// The real benchmark files shared beside the repository (<c>../shared/datasets</c> from the folder holding Evals.sln).
/// They are not committed (licences); whether a test skips or fails without them is <see cref="SharedDatasetsRule"/>'s
/// rule: mark the test <see cref="SharedDatasetsFactAttribute"/> naming the folders, then read them through here.
/// </summary>
public static class SharedDatasets
{
    public static string RepositoryRoot => SharedDatasetsRule.RepositoryRoot;

    /// <summary>The folder <paramref name="relative"/> under the shared datasets; fails the test, naming it, when missing.</summary>
    public static string Get(string relative = "") => SharedDatasetsRule.Require(relative);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), Lazy<Suites.Import.ImportResult>> Imports = new();

    /// <summary>
    /// The import of a shared folder with <paramref name="format"/>, read once per test run (reading every shared file
    /// takes seconds, and several test classes need the same results).
    /// </summary>
    public static Suites.Import.ImportResult Import(string format, string relative = "")
    {
        var folder = Get(relative);
        return Imports.GetOrAdd((format, folder), key => new Lazy<Suites.Import.ImportResult>(() => Suites.Import.ImportFormats.Get(key.Item1).Read(key.Item2))).Value;
    }
}
