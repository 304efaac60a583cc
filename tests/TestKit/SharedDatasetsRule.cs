using Xunit.Sdk;

namespace Evals.TestKit;

/// <summary>
/// The one rule for tests that read <c>../shared/datasets</c> (licensed files kept beside the checkout, not in it) and
/// for telling CI apart. Benchmarks.Tests compiles this file as a link rather than referencing TestKit, which brings
/// Storage with it.
/// </summary>
/// <remarks>
/// Outside CI a missing folder makes the test a real skip, decided at discovery by <see cref="SharedDatasetsFactAttribute"/>
/// and <see cref="SharedDatasetsTheoryAttribute"/>, so the runner reports it skipped with the reason and the closing line
/// counts it (xunit 2.9 has no dynamic skip; a test that returns early is reported passed). Under CI the attribute does not
/// skip, and <see cref="Require"/> fails the test naming the missing folder.
/// </remarks>
public static class SharedDatasetsRule
{
    /// <summary>Points the tests at another copy of the shared datasets (a missing path demonstrates the skip rule).</summary>
    public const string Variable = "EVALS_SHARED_DATASETS";

    /// <summary><c>CI=true</c> or <c>CI=1</c>, any case, as GitHub Actions, GitLab and most runners set it.</summary>
    public static bool IsCi { get; } = Environment.GetEnvironmentVariable("CI")?.Trim() is { } ci
        && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Root => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } overridden
        ? Path.GetFullPath(overridden)
        : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "datasets"));

    /// <summary>The folder under <see cref="Root"/>; fails the test, naming it, when it is missing.</summary>
    public static string Require(string relative = "")
    {
        var path = Path.Combine(Root, relative);
        if (!Directory.Exists(path))
            Xunit.Assert.Fail(IsCi
                ? $"{path} is missing, and CI (CI={Environment.GetEnvironmentVariable("CI")}) must have it"
                : $"{path} is missing");
        return path;
    }

    /// <summary>Why a test needing <paramref name="folders"/> is skipped here, or null when it must run (all present, or CI).</summary>
    public static string? SkipReason(IEnumerable<string> folders)
    {
        if (IsCi) return null;
        var missing = folders.DefaultIfEmpty("").Select(f => Path.Combine(Root, f)).FirstOrDefault(p => !Directory.Exists(p));
        return missing is null ? null : $"{missing} is missing (the shared datasets sit beside the checkout; CI has them)";
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Evals.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Evals.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fact that needs the shared datasets folders named (relative to <c>../shared/datasets</c>; none: the root).</summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.FactDiscoverer", "xunit.execution.{Platform}")]
public sealed class SharedDatasetsFactAttribute : Xunit.FactAttribute
{
    public SharedDatasetsFactAttribute(params string[] folders)
    {
        if (SharedDatasetsRule.SkipReason(folders) is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs the shared datasets folders named; see <see cref="SharedDatasetsFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.TheoryDiscoverer", "xunit.execution.{Platform}")]
public sealed class SharedDatasetsTheoryAttribute : Xunit.TheoryAttribute
{
    public SharedDatasetsTheoryAttribute(params string[] folders)
    {
        if (SharedDatasetsRule.SkipReason(folders) is { } reason) Skip = reason;
    }
}
