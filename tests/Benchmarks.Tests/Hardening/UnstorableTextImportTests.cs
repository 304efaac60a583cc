using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Tests.Hardening;

/// <summary>Issue 18, finding 1: an imported line whose text PostgreSQL cannot store is a file:line problem, not a failed COPY.</summary>
public sealed class UnstorableTextImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evals-nul-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("花\\u0000呗", "U+0000")]
    [InlineData("花\\ud800呗", "surrogate")]
    public void A_line_with_NUL_or_a_lone_surrogate_is_reported_with_its_line_and_field(string sentence, string expected)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "afqmc"));
        var file = Path.Combine(_dir, "afqmc", "dev.json");
        File.WriteAllText(file, string.Join('\n',
            """{"sentence1": "花呗", "sentence2": "借呗", "label": "0"}""",
            $$"""{"sentence1": "{{sentence}}", "sentence2": "借呗", "label": "1"}"""));

        var result = ImportFormats.Get("afqmc").Read(Path.Combine(_dir, "afqmc"));

        Assert.False(result.Succeeded);
        var problem = Assert.Single(result.Problems).ToString();
        Assert.StartsWith($"{file}:2: field 'sentence1': ", problem);
        Assert.Contains(expected, problem);
    }
}
