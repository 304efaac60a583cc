using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;

namespace Evals.Runner.Tests.Arena;

/// <summary>`evals arena export` through the real CLI and PostgreSQL: stored battles out in Chatbot Arena's format, and back in through `arena rate`.</summary>
[Collection(ProcessTests.Name)]
public sealed class ArenaExportCliTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Stored_battles_are_exported_with_every_turn_and_rated_back()
    {
        var at = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var visitor = new string('a', 64);
        ArenaBattle Battle(string prompt, string a, string b, int minute) => new()
        {
            VisitorHash = visitor, Prompt = prompt, ModelA = a, ModelB = b, AnswerA = $"{a} 的回答", AnswerB = $"**{b}** answers",
            AnswerAFinishedAt = at.AddMinutes(minute), AnswerBFinishedAt = at.AddMinutes(minute), CreatedAt = at.AddMinutes(minute),
        };
        var twoTurns = Battle("你好", "qwen-7b", "glm-6b", 1);
        twoTurns.FollowUps.Add(new ArenaFollowUp { Turn = 2, Prompt = "再说一遍", AnswerA = "好的", AnswerB = "## 再说\n- 一", CreatedAt = at.AddMinutes(2) });
        var oneTurn = Battle("Write a poem about rain", "glm-6b", "ernie-lite", 3);
        var excluded = Battle("垃圾", "qwen-7b", "ernie-lite", 4);
        var unvoted = Battle("没有投票", "qwen-7b", "glm-6b", 5);
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ArenaVotes.Add(new ArenaVote { Battle = oneTurn, Winner = "tie", VisitorHash = visitor, VotedAt = at.AddMinutes(3) });
            db.ArenaVotes.Add(new ArenaVote { Battle = twoTurns, Winner = "model_a", VisitorHash = visitor, VotedAt = at.AddMinutes(6) });
            db.ArenaVotes.Add(new ArenaVote
            {
                Battle = excluded, Winner = "model_b", VisitorHash = visitor, VotedAt = at.AddMinutes(4), ExcludedReason = "spam", ExcludedBy = "tests", ExcludedAt = at,
            });
            db.ArenaBattles.Add(unvoted);
            await db.SaveChangesAsync();
        }
        var environment = RunnerEnvironment.For(database.ConnectionString);
        var folder = Directory.CreateTempSubdirectory("evals-arena-export-").FullName;
        var file = Path.Combine(folder, "battles.json");

        var export = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(2), "arena", "export", "--out", file);

        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains($"2 battles (3 turns) written to {file}", export.StdOut);
        using (var written = JsonDocument.Parse(File.ReadAllText(file)))
        {
            var battles = written.RootElement.EnumerateArray().ToList();
            // Counted votes only, in the order they were cast.
            Assert.Equal([oneTurn.Id.ToString("N"), twoTurns.Id.ToString("N")], battles.Select(b => b.GetProperty("question_id").GetString()));
            Assert.Equal(["tie", "model_a"], battles.Select(b => b.GetProperty("winner").GetString()));
            var multi = battles[1];
            Assert.Equal(2, multi.GetProperty("turn").GetInt32());
            Assert.Equal(["user:你好", "assistant:qwen-7b 的回答", "user:再说一遍", "assistant:好的"],
                multi.GetProperty("conversation_a").EnumerateArray().Select(m => $"{m.GetProperty("role").GetString()}:{m.GetProperty("content").GetString()}"));
            Assert.Equal("## 再说\n- 一", multi.GetProperty("conversation_b")[3].GetProperty("content").GetString());
            Assert.Equal(1, multi.GetProperty("conv_metadata").GetProperty("header_count_b").GetInt32());
        }

        var ratings = Path.Combine(folder, "ratings.json");
        var rate = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(2), "arena", "rate", "--battles", file, "--bootstrap", "20", "--json", ratings,
            "--category", "multi_turn");
        Assert.True(rate.ExitCode == 0, rate.ToString());
        Assert.Contains("category multi_turn: 1 of 2 battles", rate.StdOut);
        using var rated = JsonDocument.Parse(File.ReadAllText(ratings));
        Assert.Equal(["glm-6b", "qwen-7b"], rated.RootElement.GetProperty("bt").EnumerateObject().Select(m => m.Name).Order());
    }

    [Fact]
    public async Task Bad_arguments_exit_2_and_write_nothing()
    {
        var environment = RunnerEnvironment.For(database.ConnectionString);
        var folder = Directory.CreateTempSubdirectory("evals-arena-export-").FullName;

        var intoFolder = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(1), "arena", "export", "--out", folder);
        var missingParent = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(1), "arena", "export", "--out", Path.Combine(folder, "no", "battles.json"));
        var noOut = await CliProcess.RunAsync(environment, TimeSpan.FromMinutes(1), "arena", "export");

        Assert.Equal(2, intoFolder.ExitCode);
        Assert.Contains($"--out {folder}: is a folder, not a file", intoFolder.StdErr);
        Assert.Equal(2, missingParent.ExitCode);
        Assert.Contains($"its folder {Path.Combine(folder, "no")} does not exist", missingParent.StdErr);
        Assert.Equal(2, noOut.ExitCode);
        Assert.Contains("--out", noOut.StdErr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }
}
