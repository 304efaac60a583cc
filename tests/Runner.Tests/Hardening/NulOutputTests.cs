using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Hardening;

/// <summary>
/// PostgreSQL cannot store U+0000. A model that answers with one must not lose the answer (cache on) nor fail the
/// batch's COPY and the run (cache off): model text is stored with NUL as ␀ (U+2400) and the result says so.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class NulOutputTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_model_output_with_NUL_is_stored_escaped_and_flagged_and_the_run_succeeds(bool cache)
    {
        var text = $"a%00b{(cache ? "c" : "d")}";
        string[] args = ["run", "--model", $"baseline:say?text={text}", "--suite", "smoke", "--limit", "3", "--mode", "generate", "--wait"];
        if (!cache) args = [.. args, "--no-cache"];
        var result = await CliProcess.RunAsync(RunnerEnvironment.For(database.ConnectionString), TimeSpan.FromMinutes(3), args);

        Assert.True(result.ExitCode == 0, result.ToString());
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var run = (await db.Runs.AsNoTracking().ToListAsync()).Single(r => r.ModelName.Contains(cache ? "bc" : "bd", StringComparison.Ordinal));
        var results = await db.Results.AsNoTracking().Where(r => r.RunId == run.Id).ToListAsync();
        Assert.Equal(9, results.Count); // three smoke tasks, --limit 3
        Assert.All(results, r =>
        {
            Assert.NotEqual("error", r.Outcome);
            Assert.Equal($"a\u2400b{(cache ? "c" : "d")}", r.RawOutput);
            Assert.Contains("text_escaped", r.Details);
        });
    }
}
