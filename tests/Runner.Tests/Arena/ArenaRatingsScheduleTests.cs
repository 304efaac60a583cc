using Evals.Runner.Arena;
using Evals.Runner.Jobs;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;

namespace Evals.Runner.Tests.Arena;

/// <summary>When the scheduled ratings job recomputes the snapshot, against a real PostgreSQL.</summary>
public sealed class ArenaRatingsScheduleTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_vote_cast_while_the_snapshot_was_computed_is_seen_at_the_next_check()
    {
        var at = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        ArenaVote Vote(string winner, int minute) => new()
        {
            Battle = new ArenaBattle
            {
                VisitorHash = new string('b', 64), Prompt = $"第{minute}题", ModelA = "qwen-7b", ModelB = "glm-6b", AnswerA = "甲", AnswerB = "乙",
                AnswerAFinishedAt = at.AddMinutes(minute), AnswerBFinishedAt = at.AddMinutes(minute), CreatedAt = at.AddMinutes(minute),
            },
            Winner = winner, VisitorHash = new string('b', 64), VotedAt = at.AddMinutes(minute),
        };
        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.False(await ArenaRatingsJob.ChangedSinceLatestSnapshotAsync(db));
        db.ArenaVotes.Add(Vote("model_a", 1));
        await db.SaveChangesAsync();
        Assert.True(await ArenaRatingsJob.ChangedSinceLatestSnapshotAsync(db));

        // The snapshot is stamped when its computation ends (10:00 here), after it read the votes.
        await ArenaRatingsCalculator.SnapshotAsync(db, new ArenaRatingOptions { BootstrapRounds = 5 }, new FixedTime(at.AddHours(1)));
        Assert.False(await ArenaRatingsJob.ChangedSinceLatestSnapshotAsync(db));

        // A vote committed during that computation: not read, and stamped before the snapshot.
        db.ArenaVotes.Add(Vote("model_b", 30));
        await db.SaveChangesAsync();
        Assert.True(await ArenaRatingsJob.ChangedSinceLatestSnapshotAsync(db));
        var next = await ArenaRatingsCalculator.SnapshotAsync(db, new ArenaRatingOptions { BootstrapRounds = 5 }, new FixedTime(at.AddHours(1)));
        Assert.Equal(2, next.Battles);
        Assert.False(await ArenaRatingsJob.ChangedSinceLatestSnapshotAsync(db));

        // Excluding a vote, also stamped before the snapshot, changes the split.
        var first = db.ArenaVotes.OrderBy(v => v.VotedAt).First();
        first.ExcludedReason = "spam";
        first.ExcludedBy = "tests";
        first.ExcludedAt = at.AddMinutes(40);
        await db.SaveChangesAsync();
        Assert.True(await ArenaRatingsJob.ChangedSinceLatestSnapshotAsync(db));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
