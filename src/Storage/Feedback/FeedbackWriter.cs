using Npgsql;
using NpgsqlTypes;

namespace Evals.Storage.Feedback;

/// <summary>
/// Stores feedback events set-based: binary COPY into a temporary staging table, then one
/// <c>INSERT … SELECT … ON CONFLICT (event_id) DO NOTHING</c>. COPY alone cannot skip duplicates, and resent events
/// (client retries) are normal here, so every batch takes the staging route; a repeated event id, within the batch or
/// against stored rows, is stored once.
/// </summary>
public static class FeedbackWriter
{
    public const string Columns = "event_id, trace_id, model, experiment_id, variant, input, output, rating_scale, rating, positive, tags, comment, occurred_at, received_at, api_key_id";

    /// <returns>How many rows were new; the rest were duplicates.</returns>
    public static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<FeedbackRow> rows, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0) return 0;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(
            $"CREATE TEMP TABLE feedback_staging ON COMMIT DROP AS SELECT {Columns} FROM feedback_events WITH NO DATA", connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken);
        await CopyAsync(connection, "feedback_staging", rows, cancellationToken);
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO feedback_events ({Columns}) SELECT {Columns} FROM feedback_staging ON CONFLICT (event_id) DO NOTHING", connection, transaction);
        var inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>Plain binary COPY into <paramref name="table"/> (no duplicate handling): the staging step, and the perf reference.</summary>
    public static async Task CopyAsync(NpgsqlConnection connection, string table, IReadOnlyList<FeedbackRow> rows, CancellationToken cancellationToken = default)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var r in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(r.EventId, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(r.TraceId, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(r.Model, NpgsqlDbType.Varchar, cancellationToken);
            if (r.ExperimentId is { } experiment) await importer.WriteAsync(experiment, NpgsqlDbType.Uuid, cancellationToken);
            else await importer.WriteNullAsync(cancellationToken);
            await WriteNullableAsync(importer, r.Variant, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(r.Input, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(r.Output, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(r.RatingScale, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(r.Rating, NpgsqlDbType.Smallint, cancellationToken);
            await importer.WriteAsync(r.Positive, NpgsqlDbType.Boolean, cancellationToken);
            await importer.WriteAsync(r.Tags, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, r.Comment, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(r.OccurredAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(r.ReceivedAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(r.ApiKeyId, NpgsqlDbType.Uuid, cancellationToken);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type, CancellationToken cancellationToken)
    {
        if (value is null) await importer.WriteNullAsync(cancellationToken);
        else await importer.WriteAsync(value, type, cancellationToken);
    }
}
