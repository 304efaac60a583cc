using System.Threading.Channels;
using Evals.Storage;
using Evals.Storage.Feedback;
using Evals.Web.Api;
using Evals.Web.Hosting;
using Evals.Web.V1;
using Npgsql;

namespace Evals.Web.Feedback;

/// <summary>
/// Group commit for feedback: concurrent requests are admitted and written together, one statement (or one COPY
/// transaction) per group (<see cref="FeedbackGroupWriter"/>), and each request is answered only after the group that
/// holds its rows has committed. The same statement checks that each request's key is still active (401 if not) and
/// counts the key's requests in the shared per-minute window (429 over it), so a request costs no query of its own: a
/// web node remembers keys it has seen (<see cref="Keys"/>) and this check is what makes that safe. A request that
/// arrives while a group is being written waits for the next one, so under load each commit carries many requests and at
/// rest a lone request is written at once. A failed group fails every request in it: none is acknowledged, so a client
/// retries, and the (key, event id) uniqueness stores a retried event once even when the failed commit had in fact
/// reached the database.
/// </summary>
public sealed class FeedbackGroupCommit(StorageConnection storage, FeedbackApiOptions options, SharedLimitCounters counters, TimeProvider time,
    ILogger<FeedbackGroupCommit> log) : BackgroundService
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    // The group statement is the same text every time: prepared once per connection, PostgreSQL plans it once. Nothing
    // here leaves session state (the staging table drops at commit), so a connection needs no reset between groups.
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(storage.ConnectionString) { MaxAutoPrepare = 8, AutoPrepareMinUsages = 2, NoResetOnClose = true }.ConnectionString);

    private sealed record Pending(FeedbackRequest Request, TaskCompletionSource<int> Stored);

    /// <summary>Feedback keys this node has found active; every group checks them again (see the class summary).</summary>
    public RecheckedKeyCache Keys { get; } = new(time);

    /// <summary>Admits one request of <paramref name="apiKeyId"/> and stores its rows (there may be none: it is still checked and counted).</summary>
    /// <returns>How many of <paramref name="rows"/> were new (the rest were already stored, or repeated within the group).</returns>
    /// <exception cref="FeedbackRefusedException">The key is no longer active, or over its rate: nothing was stored.</exception>
    /// <exception cref="FeedbackUnavailableException">The group was not stored.</exception>
    public Task<int> WriteAsync(Guid apiKeyId, IReadOnlyList<FeedbackRow> rows, CancellationToken cancellationToken)
    {
        var pending = new Pending(new FeedbackRequest(apiKeyId, rows), new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            throw new FeedbackUnavailableException("this node is shutting down; nothing was stored");
        // The caller may stop waiting; the rows are written (or not) with their group either way.
        return pending.Stored.Task.WaitAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.GroupCommitWriters).Select(_ => WriteGroupsAsync(stoppingToken)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        while (_queue.Reader.TryRead(out var left))
            left.Stored.TrySetException(new FeedbackUnavailableException("this node stopped before the events were written; nothing was stored"));
    }

    public override void Dispose()
    {
        _source.Dispose();
        base.Dispose();
    }

    private async Task WriteGroupsAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                group.Clear();
                var rows = 0;
                while (rows < options.GroupCommitMaxRows && group.Count < options.GroupCommitMaxRows && _queue.Reader.TryRead(out var next))
                {
                    group.Add(next);
                    rows += next.Request.Rows.Count;
                }
                if (group.Count > 0) await CommitAsync(group);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CommitAsync(List<Pending> group)
    {
        var now = time.GetUtcNow();
        var window = FeedbackRateWindow.At(now, RateWindow, options.RequestsPerMinute);
        try
        {
            FeedbackGroupOutcome outcome;
            await using (var connection = await _source.OpenConnectionAsync())
                outcome = await FeedbackGroupWriter.WriteAsync(connection, group.Select(p => p.Request).ToList(), window);
            var inserted = outcome.Inserted;
            for (var i = 0; i < group.Count; i++)
            {
                var pending = group[i];
                switch (outcome.Requests[i])
                {
                    // Each new key is credited once, to the first request that carried it; a repeat within the group is a duplicate.
                    case FeedbackAdmission.Stored:
                        pending.Stored.TrySetResult(pending.Request.Rows.Count(r => inserted.Remove((r.ApiKeyId, r.EventId))));
                        break;
                    case FeedbackAdmission.KeyNotActive:
                        Keys.Forget(pending.Request.ApiKeyId);
                        pending.Stored.TrySetException(FeedbackRefusedException.KeyNotActive());
                        break;
                    default:
                        pending.Stored.TrySetException(FeedbackRefusedException.OverRate(window.End - now));
                        break;
                }
            }
        }
        catch (Exception e)
        {
            log.LogWarning("A feedback group of {Requests} requests was not stored: {Error}", group.Count, e.Message);
            var failure = new FeedbackUnavailableException($"the database did not store the events ({e.Message}); nothing was acknowledged, send them again");
            foreach (var pending in group) pending.Stored.TrySetException(failure);
            return;
        }
        await counters.PruneIfDueAsync(now, CancellationToken.None);
    }
}

/// <summary>The events were not stored (database unavailable, node stopping): a 503, safe to resend.</summary>
public sealed class FeedbackUnavailableException(string message) : Exception(message);

/// <summary>The group commit refused the request (nothing of it was stored): 401 for a key no longer active, 429 over the key's rate.</summary>
public sealed class FeedbackRefusedException(int status, string message, TimeSpan? retryAfter) : Exception(message)
{
    public int Status { get; } = status;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public static FeedbackRefusedException KeyNotActive() => new(StatusCodes.Status401Unauthorized, "Incorrect API key provided.", null);

    public static FeedbackRefusedException OverRate(TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        return new(StatusCodes.Status429TooManyRequests, $"rate limit reached for this API key; retry after {seconds} s", TimeSpan.FromSeconds(seconds));
    }
}
