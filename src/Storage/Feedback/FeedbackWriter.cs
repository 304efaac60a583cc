using Npgsql;
using NpgsqlTypes;

namespace Evals.Storage.Feedback;

/// <summary>
/// Stores feedback events set-based with <c>INSERT … ON CONFLICT (api_key_id, event_id) DO NOTHING</c>: a repeated event id from the same key,
/// within the batch or against stored rows, is stored once. COPY alone cannot skip duplicates, and resent events
/// (client retries) are normal here, so a large batch is COPYed into a temporary staging table and inserted from
/// there in one statement; a small one (below <see cref="StagingThreshold"/>) is one INSERT from <c>unnest</c> of
/// column arrays, because creating a temporary table costs catalog writes that dominate a one-event request
/// (perf/README.md, FeedbackIngestion).
/// </summary>
public static class FeedbackWriter
{
    public const int StagingThreshold = 64;

    public const string Columns = "event_id, trace_id, model, experiment_id, variant, input, output, rating_scale, rating, positive, tags, comment, occurred_at, received_at, api_key_id, " +
        "latency_ms, input_tokens, output_tokens, user_id, session_id";

    /// <returns>How many rows were new; the rest were duplicates.</returns>
    public static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<FeedbackRow> rows, CancellationToken cancellationToken = default) =>
        (await WriteReturningAsync(connection, rows, cancellationToken)).Count;

    /// <summary>As <see cref="WriteAsync"/>, in one transaction; returns the (key, event id) of each row that was new.</summary>
    public static async Task<HashSet<(Guid ApiKeyId, string EventId)>> WriteReturningAsync(NpgsqlConnection connection, IReadOnlyList<FeedbackRow> rows,
        CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0) return [];
        if (rows.Count < StagingThreshold) return await ReadKeysAsync(InsertCommand(connection, rows), cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await CreateStagingAsync(connection, transaction, withRequest: false, cancellationToken);
        await CopyAsync(connection, "feedback_staging", rows, cancellationToken);
        var inserted = await ReadKeysAsync(new NpgsqlCommand(
            $"INSERT INTO feedback_events ({Columns}) SELECT {Columns} FROM feedback_staging ON CONFLICT (api_key_id, event_id) DO NOTHING {Returning}",
            connection, transaction), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    internal const string Returning = "RETURNING api_key_id, event_id";

    private static async Task<HashSet<(Guid, string)>> ReadKeysAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command)
        {
            var keys = new HashSet<(Guid, string)>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) keys.Add((reader.GetGuid(0), reader.GetString(1)));
            return keys;
        }
    }

    private static NpgsqlCommand InsertCommand(NpgsqlConnection connection, IReadOnlyList<FeedbackRow> rows)
    {
        var command = new NpgsqlCommand($"INSERT INTO feedback_events ({Columns}) SELECT {SelectList(tagsAsJson: true)} FROM {UnnestSource(1, withRequest: false)} " +
            $"ON CONFLICT (api_key_id, event_id) DO NOTHING {Returning}", connection);
        AddRowParameters(command, rows);
        return command;
    }

    /// <summary>The columns to insert, read from source <c>r</c> (<see cref="UnnestSource"/> or a staging table).</summary>
    internal static string SelectList(bool tagsAsJson) =>
        "r.event_id, r.trace_id, r.model, r.experiment_id, r.variant, r.input, r.output, r.rating_scale, r.rating, r.positive, " +
        (tagsAsJson ? "ARRAY(SELECT jsonb_array_elements_text(r.tags))" : "r.tags") +
        ", r.comment, r.occurred_at, r.received_at, r.api_key_id, r.latency_ms, r.input_tokens, r.output_tokens, r.user_id, r.session_id";

    /// <summary>
    /// Rows as column arrays from parameter <c>$first</c> on (<see cref="AddRowParameters"/>), and with
    /// <paramref name="withRequest"/> one more, each row's request number. Tags are one array per row; unnest cannot yield
    /// an array column from a 2-D array, so they travel as JSON.
    /// </summary>
    internal static string UnnestSource(int first, bool withRequest)
    {
        string[] types = ["text", "text", "text", "uuid", "text", "text", "text", "text", "smallint", "boolean", "jsonb", "text", "timestamptz", "timestamptz", "uuid",
            "double precision", "integer", "integer", "text", "text", .. withRequest ? new[] { "integer" } : []];
        var arrays = string.Join(", ", types.Select((type, i) => $"${first + i}::{type}[]"));
        return $"unnest({arrays}) AS r({Columns}{(withRequest ? ", request" : "")})";
    }

    internal static void AddRowParameters(NpgsqlCommand command, IReadOnlyList<FeedbackRow> rows)
    {
        command.Parameters.AddWithValue(rows.Select(r => r.EventId).ToArray());
        command.Parameters.AddWithValue(rows.Select(r => r.TraceId).ToArray());
        command.Parameters.AddWithValue(rows.Select(r => r.Model).ToArray());
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.ExperimentId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Variant).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.AddWithValue(rows.Select(r => r.Input).ToArray());
        command.Parameters.AddWithValue(rows.Select(r => r.Output).ToArray());
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.RatingScale).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Rating).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Positive).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => System.Text.Json.JsonSerializer.Serialize(r.Tags)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Comment).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.AddWithValue(rows.Select(r => r.OccurredAt).ToArray());
        command.Parameters.AddWithValue(rows.Select(r => r.ReceivedAt).ToArray());
        command.Parameters.AddWithValue(rows.Select(r => r.ApiKeyId).ToArray());
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.LatencyMs).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.InputTokens).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.OutputTokens).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.UserId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.SessionId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
    }

    /// <summary>Plain binary COPY into <paramref name="table"/> (no duplicate handling): the staging step, and the perf reference.</summary>
    public static Task CopyAsync(NpgsqlConnection connection, string table, IReadOnlyList<FeedbackRow> rows, CancellationToken cancellationToken = default) =>
        CopyAsync(connection, table, rows, null, cancellationToken);

    /// <summary>The temporary table a large batch is COPYed into, dropped at commit; with a request number per row if asked.</summary>
    internal static async Task CreateStagingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, bool withRequest, CancellationToken cancellationToken)
    {
        await using var create = new NpgsqlCommand(
            $"CREATE TEMP TABLE feedback_staging ON COMMIT DROP AS SELECT {Columns}{(withRequest ? ", 0 AS request" : "")} FROM feedback_events WITH NO DATA", connection, transaction);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <param name="requestOfRow">When given, each row's request number goes in the table's <c>request</c> column.</param>
    internal static async Task CopyAsync(NpgsqlConnection connection, string table, IReadOnlyList<FeedbackRow> rows, IReadOnlyList<int>? requestOfRow,
        CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY {table} ({Columns}{(requestOfRow is null ? "" : ", request")}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(r.EventId, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(r.TraceId, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(r.Model, NpgsqlDbType.Varchar, cancellationToken);
            if (r.ExperimentId is { } experiment) await importer.WriteAsync(experiment, NpgsqlDbType.Uuid, cancellationToken);
            else await importer.WriteNullAsync(cancellationToken);
            await WriteNullableAsync(importer, r.Variant, NpgsqlDbType.Varchar, cancellationToken);
            await importer.WriteAsync(r.Input, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(r.Output, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, r.RatingScale, NpgsqlDbType.Varchar, cancellationToken);
            await WriteNullableAsync(importer, r.Rating, NpgsqlDbType.Smallint, cancellationToken);
            await WriteNullableAsync(importer, r.Positive, NpgsqlDbType.Boolean, cancellationToken);
            await importer.WriteAsync(r.Tags, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, r.Comment, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(r.OccurredAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(r.ReceivedAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(r.ApiKeyId, NpgsqlDbType.Uuid, cancellationToken);
            await WriteNullableAsync(importer, r.LatencyMs, NpgsqlDbType.Double, cancellationToken);
            await WriteNullableAsync(importer, r.InputTokens, NpgsqlDbType.Integer, cancellationToken);
            await WriteNullableAsync(importer, r.OutputTokens, NpgsqlDbType.Integer, cancellationToken);
            await WriteNullableAsync(importer, r.UserId, NpgsqlDbType.Varchar, cancellationToken);
            await WriteNullableAsync(importer, r.SessionId, NpgsqlDbType.Varchar, cancellationToken);
            if (requestOfRow is not null) await importer.WriteAsync(requestOfRow[i], NpgsqlDbType.Integer, cancellationToken);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type, CancellationToken cancellationToken)
    {
        if (value is null) await importer.WriteNullAsync(cancellationToken);
        else await importer.WriteAsync(value, type, cancellationToken);
    }

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type, CancellationToken cancellationToken) where T : struct
    {
        if (value is { } v) await importer.WriteAsync(v, type, cancellationToken);
        else await importer.WriteNullAsync(cancellationToken);
    }
}
