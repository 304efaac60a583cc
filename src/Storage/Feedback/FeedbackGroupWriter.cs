using Npgsql;

namespace Evals.Storage.Feedback;

/// <summary>One request in a group commit: the key it came with and its valid rows (none when every event was invalid: it is still checked and counted).</summary>
public sealed record FeedbackRequest(Guid ApiKeyId, IReadOnlyList<FeedbackRow> Rows);

/// <summary>
/// The per-key request limit: a fixed window of <paramref name="Length"/> from <paramref name="Start"/>, counted in
/// <c>arena_limit_counters</c> under <c>feedback/key:{id}</c>; a key without its own <c>requests_per_minute</c> gets <paramref name="DefaultPermits"/>.
/// </summary>
public sealed record FeedbackRateWindow(DateTimeOffset Start, TimeSpan Length, int DefaultPermits)
{
    public const string CounterPrefix = "feedback/key:";

    /// <summary>The window of <paramref name="length"/> holding <paramref name="now"/>; windows are aligned to the clock (a minute starts at each whole minute).</summary>
    public static FeedbackRateWindow At(DateTimeOffset now, TimeSpan length, int defaultPermits) =>
        new(new DateTimeOffset(now.UtcTicks - now.UtcTicks % length.Ticks, TimeSpan.Zero), length, defaultPermits);

    public DateTimeOffset End => Start + Length;
}

public enum FeedbackAdmission
{
    /// <summary>Counted, and its new rows stored.</summary>
    Stored,
    /// <summary>The key is revoked (or gone, or of another scope): nothing stored or counted.</summary>
    KeyNotActive,
    /// <summary>The key's window is spent: nothing stored.</summary>
    OverRate,
}

/// <summary>What one group commit did: each request's admission, in order, and the (key, event id) of each row that was new.</summary>
public sealed record FeedbackGroupOutcome(IReadOnlyList<FeedbackAdmission> Requests, HashSet<(Guid ApiKeyId, string EventId)> Inserted);

/// <summary>
/// The write of a feedback group commit, in one statement (one round trip; for a large group, COPY into a staging table
/// first, in the same transaction): it admits each request whose key is still active and within its rate, counts them
/// (one counter upsert per key per group, not per request), and inserts the rows of the admitted requests with
/// <c>ON CONFLICT DO NOTHING</c>. Because the key check is part of the write, a key revoked before the statement starts
/// stores nothing more, whatever a web node remembers about it; because the count is, it commits (or is lost) with the
/// events it admitted. A key's requests in one group are admitted in queue order until its window is spent; counters
/// are taken in key order, so two groups sharing keys cannot deadlock on them.
/// </summary>
public static class FeedbackGroupWriter
{
    private const string Admission = $"""
        WITH requests AS (
            SELECT q.api_key_id, q.request::int AS request FROM unnest($1::uuid[]) WITH ORDINALITY AS q(api_key_id, request)
        ), active_keys AS (
            SELECT r.api_key_id, count(*)::int AS requests, COALESCE(min(k.requests_per_minute), $4) AS permits
            FROM requests r JOIN api_keys k ON k.id = r.api_key_id AND k.revoked_at IS NULL AND k.scope = 'feedback'
            GROUP BY r.api_key_id
        ), counted AS (
            INSERT INTO arena_limit_counters AS c (key, window_start, count, expires_at)
            SELECT '{FeedbackRateWindow.CounterPrefix}' || a.api_key_id, $2, a.requests, $3 FROM active_keys a ORDER BY a.api_key_id
            ON CONFLICT (key, window_start) DO UPDATE SET count = c.count + excluded.count
            RETURNING c.key, c.count
        ), admitted AS (
            SELECT x.request FROM (
                SELECT r.request, row_number() OVER (PARTITION BY r.api_key_id ORDER BY r.request) AS place, a.permits - (c.count - a.requests) AS room
                FROM requests r JOIN active_keys a ON a.api_key_id = r.api_key_id JOIN counted c ON c.key = '{FeedbackRateWindow.CounterPrefix}' || r.api_key_id) x
            WHERE x.place <= x.room
        ), inserted AS (
            INSERT INTO feedback_events ({FeedbackWriter.Columns})
        """;

    private const string Results = $"""
            ON CONFLICT (api_key_id, event_id) DO NOTHING {FeedbackWriter.Returning}
        )
        SELECT 1 AS kind, request, NULL::uuid AS api_key_id, NULL::text AS event_id FROM admitted
        UNION ALL SELECT 2, NULL, api_key_id, event_id FROM inserted
        UNION ALL SELECT 3, NULL, api_key_id, NULL FROM active_keys
        """;

    private static readonly string s_fromUnnest =
        $"{Admission}\n    SELECT {FeedbackWriter.SelectList(tagsAsJson: true)} FROM {FeedbackWriter.UnnestSource(5, withRequest: true)} {OfAdmitted}\n{Results}";

    private static readonly string s_fromStaging =
        $"{Admission}\n    SELECT {FeedbackWriter.SelectList(tagsAsJson: false)} FROM feedback_staging r {OfAdmitted}\n{Results}";

    private const string OfAdmitted = "WHERE r.request IN (SELECT request FROM admitted)";

    public static async Task<FeedbackGroupOutcome> WriteAsync(NpgsqlConnection connection, IReadOnlyList<FeedbackRequest> requests, FeedbackRateWindow window,
        CancellationToken cancellationToken = default)
    {
        var rows = requests.SelectMany(r => r.Rows).ToList();
        // SQL's request numbers count from 1 (WITH ORDINALITY).
        var requestOfRow = requests.SelectMany((r, i) => Enumerable.Repeat(i + 1, r.Rows.Count)).ToArray();
        var staged = rows.Count >= FeedbackWriter.StagingThreshold;
        await using var transaction = staged ? await connection.BeginTransactionAsync(cancellationToken) : null;
        if (transaction is not null)
        {
            await FeedbackWriter.CreateStagingAsync(connection, transaction, withRequest: true, cancellationToken);
            await FeedbackWriter.CopyAsync(connection, "feedback_staging", rows, requestOfRow, cancellationToken);
        }
        await using var command = new NpgsqlCommand(staged ? s_fromStaging : s_fromUnnest, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = requests.Select(r => r.ApiKeyId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = window.Start });
        command.Parameters.Add(new NpgsqlParameter { Value = window.End });
        command.Parameters.Add(new NpgsqlParameter { Value = window.DefaultPermits });
        if (!staged)
        {
            FeedbackWriter.AddRowParameters(command, rows);
            command.Parameters.Add(new NpgsqlParameter { Value = requestOfRow });
        }

        var admitted = new bool[requests.Count];
        var inserted = new HashSet<(Guid, string)>();
        var activeKeys = new HashSet<Guid>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                switch (reader.GetInt32(0))
                {
                    case 1: admitted[reader.GetInt32(1) - 1] = true; break;
                    case 2: inserted.Add((reader.GetGuid(2), reader.GetString(3))); break;
                    default: activeKeys.Add(reader.GetGuid(2)); break;
                }
            }
        }
        if (transaction is not null) await transaction.CommitAsync(cancellationToken);
        return new FeedbackGroupOutcome(
            requests.Select((r, i) => admitted[i] ? FeedbackAdmission.Stored : activeKeys.Contains(r.ApiKeyId) ? FeedbackAdmission.OverRate : FeedbackAdmission.KeyNotActive).ToList(),
            inserted);
    }
}
