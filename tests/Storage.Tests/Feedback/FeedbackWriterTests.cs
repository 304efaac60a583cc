using Evals.Storage.Entities;
using Evals.Storage.Feedback;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Storage.Tests.Feedback;

/// <summary>
/// Both paths of the feedback writer (one INSERT below <see cref="FeedbackWriter.StagingThreshold"/> rows, COPY through a
/// staging table from it on): a repeated event id from the same key is stored once, within a batch or against stored
/// rows, while the same id from another key is another event.
/// </summary>
public sealed class FeedbackWriterTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset s_at = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(10)]
    [InlineData(FeedbackWriter.StagingThreshold + 36)]
    public async Task Duplicates_from_one_key_are_stored_once_and_rows_round_trip(int size)
    {
        var (keyA, keyB) = (await KeyAsync(), await KeyAsync());
        var prefix = $"ev{size}-";
        // Every seventh row is an unrated GenAI span (from /api/otel/v1/traces) with latency, usage and user ids.
        FeedbackRow Row(int i, Guid key) => i % 7 == 6
            ? new($"{prefix}{i}", $"trace-{i}", "qwen-7b", null, null, $"问题 {i}", $"回答 {i}", null, null, null, [], null, s_at.AddMinutes(i), s_at.AddHours(1), key,
                LatencyMs: 1234.5 + i, InputTokens: 10 + i, OutputTokens: 20 + i, UserId: $"user-{i % 3}", SessionId: i % 2 == 0 ? null : $"conv-{i}")
            : new($"{prefix}{i}", $"trace-{i}", "qwen-7b", null, null, $"问题 {i}", $"回答 {i}",
                i % 3 == 0 ? FeedbackEvent.Stars : FeedbackEvent.Thumbs, (short)(i % 3 == 0 ? 5 : i % 2), i % 3 == 0 || i % 2 == 1,
                i % 4 == 0 ? ["tone", "length"] : [], i % 5 == 0 ? null : $"评论 {i}", s_at.AddMinutes(i), s_at.AddHours(1), key);

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        // The batch repeats its first five events at its end.
        var first = Enumerable.Range(0, size).Select(i => Row(i, keyA)).Concat(Enumerable.Range(0, 5).Select(i => Row(i, keyA))).ToList();
        Assert.Equal(size, await FeedbackWriter.WriteAsync(connection, first));
        // A client retry: half of the batch again with as many new events, and the same ids under another key.
        var retry = Enumerable.Range(size / 2, size).Select(i => Row(i, keyA)).ToList();
        Assert.Equal(size / 2, await FeedbackWriter.WriteAsync(connection, retry));
        Assert.Equal(size, await FeedbackWriter.WriteAsync(connection, Enumerable.Range(0, size).Select(i => Row(i, keyB)).ToList()));
        Assert.Equal(0, await FeedbackWriter.WriteAsync(connection, []));

        await using var db = Migrator.CreateContext(database.ConnectionString);
        var stored = await db.Feedback.AsNoTracking().Where(e => e.EventId.StartsWith(prefix)).ToListAsync();
        Assert.Equal(size + size / 2 + size, stored.Count);
        Assert.Equal(size + size / 2, stored.Count(e => e.ApiKeyId == keyA));
        var sample = stored.Single(e => e.ApiKeyId == keyA && e.EventId == $"{prefix}4");
        var expected = Row(4, keyA);
        Assert.Equal((expected.TraceId, expected.Input, expected.Output, expected.RatingScale, expected.Rating, expected.Positive, expected.Comment),
            (sample.TraceId, sample.Input, sample.Output, sample.RatingScale, sample.Rating, sample.Positive, sample.Comment));
        Assert.Equal(["tone", "length"], sample.Tags);
        Assert.Equal((s_at.AddMinutes(4), s_at.AddHours(1)), (sample.OccurredAt, sample.ReceivedAt));
        Assert.Null(stored.Single(e => e.ApiKeyId == keyA && e.EventId == $"{prefix}5").Comment);
        Assert.Null(sample.LatencyMs);
        var span = stored.Single(e => e.ApiKeyId == keyA && e.EventId == $"{prefix}6");
        Assert.Equal(((string?)null, (short?)null, (bool?)null, (double?)1240.5, (int?)16, (int?)26, (string?)"user-0", (string?)null), (span.RatingScale, span.Rating, span.Positive, span.LatencyMs, span.InputTokens, span.OutputTokens, span.UserId, span.SessionId));
        Assert.Equal("conv-13", stored.Single(e => e.ApiKeyId == keyA && e.EventId == $"{prefix}13").SessionId);
    }

    [Fact]
    public async Task A_row_the_table_refuses_fails_the_whole_batch()
    {
        var key = await KeyAsync();
        var rows = Enumerable.Range(0, FeedbackWriter.StagingThreshold).Select(i => new FeedbackRow($"bad-{i}", "t", "m", null, null, "q", "a",
            FeedbackEvent.Thumbs, (short)(i == 40 ? 7 : 1), true, [], null, s_at, s_at, key)).ToList();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();

        var e = await Assert.ThrowsAsync<PostgresException>(() => FeedbackWriter.WriteAsync(connection, rows));

        Assert.Equal("ck_feedback_events_rating", e.ConstraintName);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.Equal(0, await db.Feedback.CountAsync(f => f.ApiKeyId == key));
    }

    private async Task<Guid> KeyAsync()
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var key = ApiKey.NewKey();
        var entity = new ApiKey { Id = Guid.NewGuid(), Name = $"feedback-{Guid.NewGuid():N}", Scope = "feedback", Hash = ApiKey.HashOf(key), Prefix = key[..10], CreatedAt = s_at };
        db.ApiKeys.Add(entity);
        await db.SaveChangesAsync();
        return entity.Id;
    }
}
