using System.Diagnostics;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Evals.Runner.Backends;

/// <summary>
/// An endpoint's <c>rpm</c> and <c>max_concurrency</c> as budgets shared by every process on one database (workers,
/// web nodes, the CLI), so that three workers running the same model stay within the provider's limits together.
/// <list type="bullet">
/// <item><b>rpm</b>: one row per endpoint holds when the next call may go (<c>endpoint_rate_turns</c>). A call whose
/// time has come moves it on by 60/rpm seconds in one statement and goes; any other sleeps until then and asks again.
/// Calls are spaced at least 60/rpm seconds apart across the cluster, so no minute sees more than rpm. Every time is
/// the database's clock, so the nodes' clocks need not agree.</item>
/// <item><b>max_concurrency</b>: numbered leases (<c>endpoint_leases</c>) with an expiry. A lease lasts the call's
/// per-attempt timeout plus a margin, so a worker killed mid-call gives its slots back when they expire; a finished call
/// deletes its lease at once, and a call that waited long for its rpm turn renews it before it sends.</item>
/// </list>
/// Both tables are written by SQL only. An endpoint is its base URL and model name.
/// </summary>
public sealed class EndpointBudgets(IDbContextFactory<EvalsDbContext> dbFactory, ILogger<EndpointBudgets>? logger = null) : IAsyncDisposable
{
    /// <summary>How long past its call's timeout a lease lives, so a slow release never lets a live call lose its slot.</summary>
    public static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan LastPoll = TimeSpan.FromMilliseconds(500);

    private readonly ILogger _logger = logger ?? NullLogger<EndpointBudgets>.Instance;
    private readonly Lazy<NpgsqlDataSource> _source = new(() =>
    {
        using var db = dbFactory.CreateDbContext();
        return NpgsqlDataSource.Create(db.Database.GetConnectionString()!);
    });

    public static string EndpointOf(Uri baseUrl, string model) => $"{baseUrl.AbsoluteUri}|{model}";

    /// <summary>
    /// What a call needs before it sends: one of <paramref name="slots"/> shared slots, then (with an rpm) its turn, in
    /// that order so that it sends as soon as its turn comes. Dispose the lease to give the slot back.
    /// <paramref name="hold"/> is the longest the call itself can take, counted from when it sends.
    /// </summary>
    public async Task<IAsyncDisposable> TakeSlotAndTurnAsync(string endpoint, int slots, int? requestsPerMinute, TimeSpan hold, CancellationToken cancellationToken)
    {
        var lease = await LeaseAsync(endpoint, slots, hold, cancellationToken);
        if (requestsPerMinute is not { } rpm) return lease;
        try
        {
            var waiting = Stopwatch.StartNew();
            await WaitForTurnAsync(endpoint, rpm, cancellationToken);
            // The lease was taken for the call's hold plus a margin; a wait that ate much of the margin (a low rpm shared
            // by many slots) would let it expire during the call and another node take the slot.
            if (waiting.Elapsed > LeaseMargin / 2) await RenewAsync(lease, hold, cancellationToken);
            return lease;
        }
        catch
        {
            await lease.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits for a turn under a per-minute rate shared by every node. A turn is taken only when it has come (never
    /// booked ahead), so a caller that gives up waiting (a cancelled run) costs the others nothing.
    /// </summary>
    private async Task WaitForTurnAsync(string endpoint, int requestsPerMinute, CancellationToken cancellationToken)
    {
        var spacing = TimeSpan.FromMinutes(1) / requestsPerMinute;
        while (true)
        {
            await using var batch = _source.Value.CreateBatch();
            var take = new NpgsqlBatchCommand("""
                insert into endpoint_rate_turns (endpoint, next_turn) values ($1, clock_timestamp() + $2)
                on conflict (endpoint) do update set next_turn = clock_timestamp() + $2 where endpoint_rate_turns.next_turn <= clock_timestamp()
                """);
            take.Parameters.Add(new NpgsqlParameter { Value = endpoint });
            take.Parameters.Add(new NpgsqlParameter { Value = spacing });
            var left = new NpgsqlBatchCommand("select extract(epoch from next_turn - clock_timestamp())::double precision from endpoint_rate_turns where endpoint = $1");
            left.Parameters.Add(new NpgsqlParameter { Value = endpoint });
            batch.BatchCommands.Add(take);
            batch.BatchCommands.Add(left);
            double seconds;
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                seconds = reader.GetDouble(0);
            }
            if (take.RecordsAffected == 1) return;
            // Someone else's turn: wake when the next one comes, a little spread so that waiting nodes do not all ask at once.
            var jitter = TimeSpan.FromTicks((long)(Math.Min(spacing.Ticks / 4, TimeSpan.TicksPerMillisecond * 50) * Random.Shared.NextDouble()));
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, seconds)) + jitter, cancellationToken);
        }
    }

    /// <summary>
    /// Takes one of <paramref name="slots"/> shared slots, polling until one is free; dispose the lease to give it back.
    /// <paramref name="hold"/> is the longest the call can take: the lease expires after it plus <see cref="LeaseMargin"/>.
    /// </summary>
    private async Task<Lease> LeaseAsync(string endpoint, int slots, TimeSpan hold, CancellationToken cancellationToken)
    {
        var holder = Guid.NewGuid();
        var poll = FirstPoll;
        while (true)
        {
            await using (var command = _source.Value.CreateCommand("""
                insert into endpoint_leases (endpoint, slot, holder, expires_at)
                select $1, s, $2, clock_timestamp() + $4
                from generate_series(0, $3 - 1) s
                where not exists (select 1 from endpoint_leases l where l.endpoint = $1 and l.slot = s and l.expires_at > clock_timestamp())
                order by s limit 1
                on conflict (endpoint, slot) do update set holder = excluded.holder, expires_at = excluded.expires_at
                    where endpoint_leases.expires_at <= clock_timestamp()
                returning slot
                """))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = endpoint });
                command.Parameters.Add(new NpgsqlParameter { Value = holder });
                command.Parameters.Add(new NpgsqlParameter { Value = slots });
                command.Parameters.Add(new NpgsqlParameter { Value = hold + LeaseMargin });
                if (await command.ExecuteScalarAsync(cancellationToken) is int slot) return new Lease(this, endpoint, slot, holder);
            }
            // Every slot is held (or another node took the free one first): poll again, backing off, with jitter so
            // that waiting nodes do not all ask at the same instant.
            await Task.Delay(poll * (0.75 + Random.Shared.NextDouble() / 2), cancellationToken);
            poll = TimeSpan.FromTicks(Math.Min(LastPoll.Ticks, poll.Ticks * 2));
        }
    }

    private async Task RenewAsync(Lease lease, TimeSpan hold, CancellationToken cancellationToken)
    {
        await using var command = LeaseCommand("update endpoint_leases set expires_at = clock_timestamp() + $4 where endpoint = $1 and slot = $2 and holder = $3", lease);
        command.Parameters.Add(new NpgsqlParameter { Value = hold + LeaseMargin });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task ReleaseAsync(Lease lease)
    {
        try
        {
            await using var command = LeaseCommand("delete from endpoint_leases where endpoint = $1 and slot = $2 and holder = $3", lease);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            // The lease expires on its own; until then the endpoint has one slot fewer.
            _logger.LogWarning(e, "Could not give back slot {Slot} of {Endpoint}; it returns when its lease expires", lease.Slot, lease.Endpoint);
        }
    }

    /// <summary>A command on one lease's row: its endpoint, slot and holder as $1, $2 and $3.</summary>
    private NpgsqlCommand LeaseCommand(string sql, Lease lease)
    {
        var command = _source.Value.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = lease.Endpoint });
        command.Parameters.Add(new NpgsqlParameter { Value = lease.Slot });
        command.Parameters.Add(new NpgsqlParameter { Value = lease.Holder });
        return command;
    }

    private sealed record Lease(EndpointBudgets Budgets, string Endpoint, int Slot, Guid Holder) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(Budgets.ReleaseAsync(this));
    }

    public async ValueTask DisposeAsync()
    {
        if (_source.IsValueCreated) await _source.Value.DisposeAsync();
    }
}

