using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Cli;

/// <summary>`db migrate` and `tokenize` through the real CLI.</summary>
[Collection(ProcessTests.Name)]
public sealed class SmallCommandsTests
{
    [Fact]
    public async Task Db_migrate_brings_an_empty_database_to_the_latest_migration_and_is_safe_to_repeat()
    {
        var empty = await (await PostgresCluster.SharedAsync()).CreateEmptyDatabaseAsync();
        var env = RunnerEnvironment.For(empty);
        await using (var before = Migrator.CreateContext(empty))
            Assert.Empty(await before.Database.GetAppliedMigrationsAsync());

        for (var i = 0; i < 2; i++)
        {
            var migrate = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(2), "db", "migrate");
            Assert.True(migrate.ExitCode == 0, migrate.ToString());
            Assert.Equal("database is up to date", migrate.StdOut.Trim());
        }
        await using var db = Migrator.CreateContext(empty);
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM information_schema.tables WHERE table_name = 'qrtz_job_details'").SingleAsync());
    }

    [Fact]
    public async Task Tokenize_prints_one_line_of_ids_per_input_line_and_a_missing_tokenizer_is_bad_input()
    {
        var folder = Directory.CreateTempSubdirectory("evals-tokenize-").FullName;
        TinyModelWriter.Write(folder, 7);
        var tokenizer = Path.Combine(folder, "tokenizer.json");
        var input = Path.Combine(folder, "input.txt");
        // Byte-level tokens have the byte's value as id, and nothing in the tiny tokenizer's corpus merges these bytes.
        File.WriteAllText(input, "Zz\n~\n\nQ\n");
        var env = new Dictionary<string, string>();

        var result = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "tokenize", "--tokenizer", tokenizer, "--input", input);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("90 122\n126\n\n81\n", result.StdOut.Replace("\r\n", "\n"));
        var missing = Path.Combine(folder, "no-such.json");
        var bad = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(1), "tokenize", "--tokenizer", missing, "--input", input);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains($"--tokenizer: {missing} does not exist", bad.StdErr);
        Assert.Equal("", bad.StdOut);
        Directory.Delete(folder, recursive: true);
    }
}
