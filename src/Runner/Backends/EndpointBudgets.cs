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
/// deletes its lease at once.</item>
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
    /// Waits for a turn under a per-minute rate shared by every node. A turn is taken only when it has come (never
    /// booked ahead), so a caller that gives up waiting (its timeout, a cancel) costs the others nothing.
    /// </summary>
    public async Task WaitForTurnAsync(string endpoint, int requestsPerMinute, CancellationToken cancellationToken)
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
    public async Task<EndpointLease> LeaseAsync(string endpoint, int slots, TimeSpan hold, CancellationToken cancellationToken)
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
                if (await command.ExecuteScalarAsync(cancellationToken) is int slot) return new EndpointLease(this, endpoint, slot, holder);
            }
            // Every slot is held (or another node took the free one first): poll again, backing off, with jitter so
            // that waiting nodes do not all ask at the same instant.
            await Task.Delay(poll * (0.75 + Random.Shared.NextDouble() / 2), cancellationToken);
            poll = TimeSpan.FromTicks(Math.Min(LastPoll.Ticks, poll.Ticks * 2));
        }
    }

    internal async Task RenewAsync(string endpoint, int slot, Guid holder, TimeSpan hold, CancellationToken cancellationToken)
    {
        await using var command = _source.Value.CreateCommand(
            "update endpoint_leases set expires_at = clock_timestamp() + $4 where endpoint = $1 and slot = $2 and holder = $3");
        command.Parameters.Add(new NpgsqlParameter { Value = endpoint });
        command.Parameters.Add(new NpgsqlParameter { Value = slot });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        command.Parameters.Add(new NpgsqlParameter { Value = hold + LeaseMargin });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal async Task ReleaseAsync(string endpoint, int slot, Guid holder)
    {
        try
        {
            await using var command = _source.Value.CreateCommand("delete from endpoint_leases where endpoint = $1 and slot = $2 and holder = $3");
            command.Parameters.Add(new NpgsqlParameter { Value = endpoint });
            command.Parameters.Add(new NpgsqlParameter { Value = slot });
            command.Parameters.Add(new NpgsqlParameter { Value = holder });
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            // The lease expires on its own; until then the endpoint has one slot fewer.
            _logger.LogWarning(e, "Could not give back slot {Slot} of {Endpoint}; it returns when its lease expires", slot, endpoint);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_source.IsValueCreated) await _source.Value.DisposeAsync();
    }
}

/// <summary>One held slot of an endpoint's <c>max_concurrency</c>; disposing it gives the slot back.</summary>
public sealed class EndpointLease(EndpointBudgets budgets, string endpoint, int slot, Guid holder) : IAsyncDisposable
{
    /// <summary>Moves the expiry to <paramref name="hold"/> plus the margin from now (after a long wait for an rpm turn).</summary>
    public Task RenewAsync(TimeSpan hold, CancellationToken cancellationToken) => budgets.RenewAsync(endpoint, slot, holder, hold, cancellationToken);

    public ValueTask DisposeAsync() => new(budgets.ReleaseAsync(endpoint, slot, holder));
}
