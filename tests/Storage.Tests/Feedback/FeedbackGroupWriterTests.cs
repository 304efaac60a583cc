using Evals.Storage.Entities;
using Evals.Storage.Feedback;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Storage.Tests.Feedback;

/// <summary>
/// The group commit's one statement (<see cref="FeedbackGroupWriter"/>), on both paths (unnest, and COPY through a
/// staging table): within one group, requests of a revoked key or a key of another scope store nothing and count
/// nothing; a key's requests are admitted in order until its window is spent and the rest store nothing; the count is
/// one upsert per key, continued by the next group; the key's own rate wins over the default.
/// </summary>
public sealed class FeedbackGroupWriterTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset s_at = new(2026, 12, 1, 8, 0, 30, TimeSpan.Zero);

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    public async Task Only_active_keys_within_their_rate_are_stored_and_counted(int rowsPerRequest)
    {
        var limited = await KeyAsync("feedback", requestsPerMinute: 3);
        var open = await KeyAsync("feedback", requestsPerMinute: null);
        var revoked = await KeyAsync("feedback", requestsPerMinute: null, revoked: true);
        var v1 = await KeyAsync("v1", requestsPerMinute: null);
        var window = FeedbackRateWindow.At(s_at, TimeSpan.FromMinutes(1), defaultPermits: 100);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero), window.Start);
        FeedbackRequest Request(Guid key, string name) =>
            new(key, Enumerable.Range(0, rowsPerRequest).Select(i => Row(key, $"{name}-{rowsPerRequest}-{i}")).ToList());

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        // limited ×5 (3 a minute), open ×2 (one repeats the other's rows: duplicates), revoked, v1, and an empty request.
        var first = await FeedbackGroupWriter.WriteAsync(connection, [
            Request(limited, "l0"), Request(open, "o0"), Request(limited, "l1"), Request(revoked, "r0"), Request(limited, "l2"),
            Request(v1, "v0"), Request(limited, "l3"), Request(open, "o0"), Request(limited, "l4"), new FeedbackRequest(open, []),
        ], window);
        Assert.Equal([FeedbackAdmission.Stored, FeedbackAdmission.Stored, FeedbackAdmission.Stored, FeedbackAdmission.KeyNotActive, FeedbackAdmission.Stored,
            FeedbackAdmission.KeyNotActive, FeedbackAdmission.OverRate, FeedbackAdmission.Stored, FeedbackAdmission.OverRate, FeedbackAdmission.Stored], first.Requests);
        Assert.Equal(4 * rowsPerRequest, first.Inserted.Count);

        // The next group in the same window finds the limited key spent; the next window starts afresh.
        var second = await FeedbackGroupWriter.WriteAsync(connection, [Request(limited, "l5"), Request(open, "o1")], window);
        Assert.Equal([FeedbackAdmission.OverRate, FeedbackAdmission.Stored], second.Requests);
        var later = FeedbackRateWindow.At(s_at.AddMinutes(1), TimeSpan.FromMinutes(1), defaultPermits: 100);
        var third = await FeedbackGroupWriter.WriteAsync(connection, [Request(limited, "l6")], later);
        Assert.Equal([FeedbackAdmission.Stored], third.Requests);

        await using var db = Migrator.CreateContext(database.ConnectionString);
        var stored = await db.Feedback.AsNoTracking().Where(f => new[] { limited, open, revoked, v1 }.Contains(f.ApiKeyId))
            .Select(f => f.EventId).ToListAsync();
        var expected = new[] { "l0", "l1", "l2", "o0", "o1", "l6" }.SelectMany(n => Enumerable.Range(0, rowsPerRequest).Select(i => $"{n}-{rowsPerRequest}-{i}"));
        Assert.Equal(expected.Order(), stored.Order());
        var counts = await db.Database.SqlQueryRaw<int>(
            "SELECT count AS \"Value\" FROM arena_limit_counters WHERE key = ANY({0}) AND window_start = {1} ORDER BY key",
            new[] { $"feedback/key:{limited}", $"feedback/key:{open}", $"feedback/key:{revoked}", $"feedback/key:{v1}" }, window.Start).ToListAsync();
        // Refused requests of an active key are counted too (the window is spent either way); inactive keys count nothing.
        Assert.Equal(new[] { 6, 4 }.Order(), counts.Order());
    }

    private static FeedbackRow Row(Guid key, string eventId) =>
        new(eventId, "trace", "qwen-7b", null, null, "问题", "回答", FeedbackEvent.Thumbs, 1, true, ["tag"], null, s_at, s_at, key);

    private async Task<Guid> KeyAsync(string scope, int? requestsPerMinute, bool revoked = false)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var key = ApiKey.NewKey();
        var entity = new ApiKey
        {
            Id = Guid.NewGuid(), Name = $"{scope}-{Guid.NewGuid():N}", Scope = scope, Hash = ApiKey.HashOf(key), Prefix = key[..10], CreatedAt = s_at,
            RequestsPerMinute = requestsPerMinute, RevokedAt = revoked ? s_at : null,
        };
        db.ApiKeys.Add(entity);
        await db.SaveChangesAsync();
        return entity.Id;
    }
}
