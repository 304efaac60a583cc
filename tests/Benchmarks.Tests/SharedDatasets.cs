namespace Evals.Benchmarks.Tests;

/// <summary>
/// The real benchmark files shared beside the repository (<c>../shared/datasets</c> from the folder holding Evals.sln).
/// They are not committed (licences), so a checkout without them skips these tests, except on CI (<c>CI=true</c>) where
/// a missing copy is a failure rather than a silent pass.
/// </summary>
public static class SharedDatasets
{
    private static readonly Lazy<string?> RootPath = new(Find);

    /// <summary>The shared datasets folder, or null when it is missing (no skip or failure decided here).</summary>
    public static string? Root => RootPath.Value;

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Evals.sln"))) return dir.FullName;
            throw new InvalidOperationException($"no Evals.sln above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>The folder <paramref name="relative"/> under the shared datasets, or null when the tests must be skipped.</summary>
    public static string? Get(string relative = "")
    {
        if (RootPath.Value is not { } root)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail("shared datasets not found at ../shared/datasets beside the repository, and CI=true");
            Console.WriteLine("skipped: shared datasets not found at ../shared/datasets beside the repository");
            return null;
        }
        return Path.Combine(root, relative);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), Lazy<Suites.Import.ImportResult>> Imports = new();

    /// <summary>
    /// The import of a shared folder with <paramref name="format"/>, read once per test run (reading every shared file
    /// takes seconds, and several test classes need the same results); null when the shared data is missing.
    /// </summary>
    public static Suites.Import.ImportResult? Import(string format, string relative = "")
    {
        if (Get(relative) is not { } folder) return null;
        return Imports.GetOrAdd((format, folder), key => new Lazy<Suites.Import.ImportResult>(() => Suites.Import.ImportFormats.Get(key.Item1).Read(key.Item2))).Value;
    }

    private static string? Find()
    {
        var candidate = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "datasets"));
        return Directory.Exists(candidate) ? candidate : null;
    }
}
