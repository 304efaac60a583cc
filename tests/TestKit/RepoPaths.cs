namespace Evals.TestKit;

/// <summary>Where the repository and the shared datasets are, found from the test assembly's folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Datasets => Path.Combine(Root, "datasets");

    /// <summary><c>../shared/datasets</c> beside the checkout; CI has it, a user's clone may not.</summary>
    public static string SharedDatasets => Path.GetFullPath(Path.Combine(Root, "..", "shared", "datasets"));

    /// <summary>
    /// True when the shared datasets are there. When they are missing: under CI (<c>CI=true</c>) the test fails; elsewhere
    /// it returns false and the caller returns early, with the reason printed.
    /// </summary>
    public static bool HasSharedDatasets()
    {
        if (Directory.Exists(SharedDatasets)) return true;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"{SharedDatasets} is missing, and CI must have it");
        Console.WriteLine($"skipped: {SharedDatasets} is missing (it exists beside the checkout in CI only)");
        return false;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Evals.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Evals.sln above {AppContext.BaseDirectory}");
    }
}
