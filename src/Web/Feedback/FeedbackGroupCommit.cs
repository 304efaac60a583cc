using System.Threading.Channels;
using Evals.Storage;
using Evals.Storage.Feedback;
using Evals.Web.Api;
using Npgsql;

namespace Evals.Web.Feedback;

/// <summary>
/// Group commit for feedback: the rows of concurrent requests are written together, one statement (or one COPY
/// transaction) per group, and each request is answered only after the group that holds its rows has committed. A
/// request that arrives while a group is being written waits for the next one, so under load each commit carries many
/// requests and at rest a lone request is written at once. A failed group fails every request in it: none is
/// acknowledged, so a client retries, and the (key, event id) uniqueness stores a retried event once even when the
/// failed commit had in fact reached the database.
/// </summary>
public sealed class FeedbackGroupCommit(StorageConnection storage, FeedbackApiOptions options, ILogger<FeedbackGroupCommit> log) : BackgroundService
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });

    private sealed record Pending(IReadOnlyList<FeedbackRow> Rows, TaskCompletionSource<int> Stored);

    /// <returns>How many of <paramref name="rows"/> were new (the rest were already stored, or repeated within the group).</returns>
    public Task<int> WriteAsync(IReadOnlyList<FeedbackRow> rows, CancellationToken cancellationToken)
    {
        var pending = new Pending(rows, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
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

    private async Task WriteGroupsAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                group.Clear();
                var rows = 0;
                while (rows < options.GroupCommitMaxRows && _queue.Reader.TryRead(out var next))
                {
                    group.Add(next);
                    rows += next.Rows.Count;
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
        try
        {
            var rows = group.Count == 1 ? group[0].Rows : group.SelectMany(p => p.Rows).ToList();
            HashSet<(Guid, string)> inserted;
            await using (var connection = new NpgsqlConnection(storage.ConnectionString))
            {
                await connection.OpenAsync();
                inserted = await FeedbackWriter.WriteReturningAsync(connection, rows);
            }
            // Each new key is credited once, to the first request that carried it; a repeat within the group is a duplicate.
            foreach (var pending in group)
                pending.Stored.TrySetResult(pending.Rows.Count(r => inserted.Remove((r.ApiKeyId, r.EventId))));
        }
        catch (Exception e)
        {
            log.LogWarning("A feedback group of {Requests} requests was not stored: {Error}", group.Count, e.Message);
            var failure = new FeedbackUnavailableException($"the database did not store the events ({e.Message}); nothing was acknowledged, send them again");
            foreach (var pending in group) pending.Stored.TrySetException(failure);
        }
    }
}

/// <summary>The events were not stored (database unavailable, node stopping): a 503, safe to resend.</summary>
public sealed class FeedbackUnavailableException(string message) : Exception(message);
