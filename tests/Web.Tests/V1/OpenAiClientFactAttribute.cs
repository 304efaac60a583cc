using Evals.TestKit;

namespace Evals.Web.Tests.V1;

/// <summary>
/// A test that runs the openai npm package, installed once by V1/prepare.sh (scripts/test.sh runs it) into the folder
/// named by <c>EVALS_NPM_OPENAI</c>; no test installs packages itself. Not prepared: a real skip outside CI, and under CI
/// (<see cref="SharedDatasetsRule.IsCi"/>) the test runs and <see cref="Folder"/> fails naming what is missing.
/// </summary>
public sealed class OpenAiClientFactAttribute : FactAttribute
{
    public const string Variable = "EVALS_NPM_OPENAI";

    public OpenAiClientFactAttribute()
    {
        if (Missing() is { } missing && !SharedDatasetsRule.IsCi) Skip = missing;
    }

    public static string Folder()
    {
        if (Missing() is { } missing) Assert.Fail(missing + (SharedDatasetsRule.IsCi ? ", and CI must run this test (scripts/test.sh prepares it)" : ""));
        return Environment.GetEnvironmentVariable(Variable)!;
    }

    private static string? Missing()
    {
        var folder = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(folder)) return $"{Variable} is not set (tests/Web.Tests/V1/prepare.sh installs the openai package and prints the folder)";
        var package = Path.Combine(folder, "node_modules", "openai", "package.json");
        return File.Exists(package) ? null : $"{package} is missing (run tests/Web.Tests/V1/prepare.sh)";
    }
}
