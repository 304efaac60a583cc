using System.Diagnostics.Metrics;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Evals.Runner.Telemetry;

/// <summary>
/// <c>evals.runs</c> and <c>evals.run_shards</c>: queued and running runs, and the shards of open runs waiting for a
/// worker or executing, of the whole cluster (every node reports the same figures; take the max across nodes). A gauge's callback runs on the exporter's thread, so it reads a count this service refreshes from the
/// database every <see cref="TelemetryOptions.GaugeIntervalSeconds"/> instead of querying there.
/// </summary>
public sealed class RunGauges : BackgroundService
{
    private readonly IDbContextFactory<EvalsDbContext> _dbFactory;
    private readonly TelemetryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RunGauges> _logger;
    private (long Queued, long Running)? _counts;
    private ShardCounts? _shards;

    public RunGauges(IDbContextFactory<EvalsDbContext> dbFactory, TelemetryOptions options, TimeProvider time, ILogger<RunGauges> logger)
    {
        _dbFactory = dbFactory;
        _options = options;
        _time = time;
        _logger = logger;
        RunnerTelemetry.Meter.CreateObservableGauge("evals.runs", Observe, "{run}", "Runs waiting for a worker (queued) and executing (running), cluster-wide");
        RunnerTelemetry.Meter.CreateObservableGauge("evals.run_shards", ObserveShards, "{shard}",
            "Unfinished shards of open runs: not yet started (queued) and started (running), cluster-wide");
    }

    private IEnumerable<Measurement<long>> ObserveShards()
    {
        if (_shards is not { } shards) yield break;
        yield return new Measurement<long>(shards.Queued, new KeyValuePair<string, object?>("evals.shard.status", "queued"));
        yield return new Measurement<long>(shards.Running, new KeyValuePair<string, object?>("evals.shard.status", "running"));
    }

    private sealed record ShardCounts(long Queued, long Running);

    private IEnumerable<Measurement<long>> Observe()
    {
        if (_counts is not { } counts) yield break;
        yield return new Measurement<long>(counts.Queued, new KeyValuePair<string, object?>("evals.run.status", "queued"));
        yield return new Measurement<long>(counts.Running, new KeyValuePair<string, object?>("evals.run.status", "running"));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var db = await _dbFactory.CreateDbContextAsync(stoppingToken);
                var counts = await db.Runs.Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running)
                    .GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.LongCount() }).ToListAsync(stoppingToken);
                _counts = (counts.FirstOrDefault(c => c.Key == RunStatus.Queued)?.Count ?? 0, counts.FirstOrDefault(c => c.Key == RunStatus.Running)?.Count ?? 0);
                // A started shard whose worker died counts as running until the janitor or Quartz's recovery restarts it.
                _shards = await db.Database.SqlQuery<ShardCounts>($"""
                    select count(*) filter (where s.started_at is null) as "Queued", count(*) filter (where s.started_at is not null) as "Running"
                    from run_shards s join runs r on r.id = s.run_id
                    where s.finished_at is null and r.status in ('queued', 'running')
                    """).SingleAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A database outage leaves the last figures; the gauge stops only while the node is down.
                _logger.LogWarning("Could not count runs for the evals.runs gauge: {Error}", e.Message);
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(_options.GaugeIntervalSeconds), _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
