using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Web.Hosting;

/// <summary>One counter a request takes: at most <paramref name="Permits"/> per fixed window; <paramref name="Cost"/> each time.</summary>
public sealed record LimitCharge(string Key, int Permits, int Cost, TimeSpan Window);

/// <summary>Which charge was over its limit, and how long until its window ends.</summary>
public sealed record OverLimit(int Index, TimeSpan RetryAfter);

/// <summary>
/// Rate-limit counters in PostgreSQL (<c>arena_limit_counters</c>; the keys are namespaced: <c>battles/…</c>,
/// <c>votes/…</c>, <c>feedback/…</c>), so every web node counts in the same fixed windows, aligned to the clock (a
/// one-minute window starts at each whole minute). A refused request costs no counter anything. Counters are written
/// with asynchronous commit: a database crash may forget the last fraction of a second's counts, which a rate limit
/// can afford, and in exchange a hot counter's row lock is not held across a disk flush per request.
/// </summary>
public sealed class SharedLimitCounters(IDbContextFactory<EvalsDbContext> dbFactory, TimeProvider time, ILogger<SharedLimitCounters> logger) : IAsyncDisposable
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);
    private long _lastPruneTicks;
    private readonly Lazy<NpgsqlDataSource> _source = new(() =>
    {
        using var db = dbFactory.CreateDbContext();
        var connection = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { Options = "-c synchronous_commit=off" };
        return NpgsqlDataSource.Create(connection.ConnectionString);
    });

    /// <summary>
    /// Takes every charge or none, in one transaction: null when all were within their limits (and are now counted), else
    /// the first one over.
    /// </summary>
    public async Task<OverLimit?> TakeAllAsync(IReadOnlyList<LimitCharge> charges, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var starts = charges.Select(c => WindowStart(now, c.Window)).ToArray();
        // Rows are locked in key order, so two requests that share counters never wait on each other in a cycle.
        var order = Enumerable.Range(0, charges.Count).OrderBy(i => charges[i].Key, StringComparer.Ordinal).ToArray();
        var keys = order.Select(i => charges[i].Key).ToArray();
        var windowStarts = order.Select(i => starts[i]).ToArray();
        var costs = order.Select(i => charges[i].Cost).ToArray();
        var expires = order.Select(i => starts[i] + charges[i].Window).ToArray();

        await using var connection = await _source.Value.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var counted = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("""
            INSERT INTO arena_limit_counters (key, window_start, count, expires_at)
            SELECT c.key, c.window_start, c.count, c.expires_at
            FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::timestamptz[]) WITH ORDINALITY AS c(key, window_start, count, expires_at, n) ORDER BY c.n
            ON CONFLICT (key, window_start) DO UPDATE SET count = arena_limit_counters.count + excluded.count
            RETURNING key, count
            """, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = keys });
            command.Parameters.Add(new NpgsqlParameter { Value = windowStarts });
            command.Parameters.Add(new NpgsqlParameter { Value = costs });
            command.Parameters.Add(new NpgsqlParameter { Value = expires });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) counted[reader.GetString(0)] = reader.GetInt32(1);
        }
        for (var i = 0; i < charges.Count; i++)
        {
            if (counted[charges[i].Key] <= charges[i].Permits) continue;
            await transaction.RollbackAsync(cancellationToken);
            return new OverLimit(i, starts[i] + charges[i].Window - now);
        }
        await transaction.CommitAsync(cancellationToken);
        await PruneIfDueAsync(now, cancellationToken);
        return null;
    }

    private static DateTimeOffset WindowStart(DateTimeOffset now, TimeSpan window) =>
        new(now.UtcTicks - now.UtcTicks % window.Ticks, TimeSpan.Zero);

    /// <summary>
    /// Windows that have ended are deleted, by whichever node first finds a minute has passed since its last pruning
    /// (feedback's group commit counts in the same table and calls this after each group).
    /// </summary>
    public async Task PruneIfDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref _lastPruneTicks);
        if (now.UtcTicks - last < PruneEvery.Ticks || Interlocked.CompareExchange(ref _lastPruneTicks, now.UtcTicks, last) != last) return;
        try
        {
            await using var command = _source.Value.CreateCommand("DELETE FROM arena_limit_counters WHERE expires_at < $1");
            command.Parameters.Add(new NpgsqlParameter { Value = now });
            var pruned = await command.ExecuteNonQueryAsync(cancellationToken);
            if (pruned > 0) logger.LogDebug("Pruned {Count} ended limit windows", pruned);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Pruning ended limit windows failed; the next request retries");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_source.IsValueCreated) await _source.Value.DisposeAsync();
    }
}
