using System.Security.Cryptography;
using System.Text;
using Evals.Storage.Entities;
using Evals.Storage.Keys;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Storage.Tests.Keys;

/// <summary>The key registry against PostgreSQL: what is stored for a key, the field each bad input names, revocation.</summary>
public sealed class ApiKeyRegistryTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_created_key_is_stored_only_as_its_sha256_and_prefix_and_a_revoked_key_stays_listed()
    {
        var time = new FixedTime(s_now);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        var key = await ApiKeyRegistry.CreateAsync(db, time, "  ci-bot  ", "v1", 30);

        Assert.StartsWith("evk-", key);
        // 32 random bytes in unpadded base64url: 43 characters after the prefix.
        Assert.Equal(4 + 43, key.Length);
        var stored = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == "ci-bot");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))), stored.Hash);
        Assert.Equal(key[..10], stored.Prefix);
        Assert.Equal(("v1", 30, s_now), (stored.Scope, stored.RequestsPerMinute, stored.CreatedAt));
        Assert.Null(stored.RevokedAt);
        var row = await db.Database.SqlQueryRaw<string>("SELECT concat_ws('|', name, scope, prefix, hash) AS \"Value\" FROM api_keys WHERE name = 'ci-bot'").SingleAsync();
        Assert.DoesNotContain(key, row);

        time.Now = s_now.AddHours(2);
        Assert.True(await ApiKeyRegistry.RevokeAsync(db, time, "ci-bot"));
        Assert.False(await ApiKeyRegistry.RevokeAsync(db, time, "ci-bot")); // already revoked
        Assert.False(await ApiKeyRegistry.RevokeAsync(db, time, "no-such-key"));
        var listed = Assert.Single(await ApiKeyRegistry.ListAsync(db), k => k.Name == "ci-bot");
        Assert.Equal(s_now.AddHours(2), listed.RevokedAt);
        Assert.Equal(stored.Prefix, listed.Prefix);
    }

    [Theory]
    [InlineData(" ", "feedback", null, "name", "must not be empty")]
    [InlineData("bad-scope", "root", null, "scope", "'root' must be one of v1, feedback, admin")]
    [InlineData("bad-rpm", "v1", 0, "rpm", "must be at least 1 (got 0)")]
    [InlineData("taken", "admin", null, "name", "'taken': a key with that name exists")]
    public async Task Bad_input_names_the_field_and_stores_nothing(string name, string scope, int? rpm, string field, string message)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        if (!await db.ApiKeys.AnyAsync(k => k.Name == "taken")) await ApiKeyRegistry.CreateAsync(db, TimeProvider.System, "taken", "v1", null);
        var before = await db.ApiKeys.CountAsync();

        var e = await Assert.ThrowsAsync<ApiKeyInputException>(() => ApiKeyRegistry.CreateAsync(db, TimeProvider.System, name, scope, rpm));

        Assert.Equal(field, e.Field);
        Assert.Equal(message, e.Message);
        Assert.Equal(before, await db.ApiKeys.CountAsync());
        // After a refused duplicate the context is still usable.
        Assert.Equal(before, (await ApiKeyRegistry.ListAsync(db)).Count);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
