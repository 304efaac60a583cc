using System.Text.Json.Nodes;
using Evals.Storage.Text;
using Npgsql;
using NpgsqlTypes;

namespace Evals.Storage.Results;

/// <summary>
/// Writes result batches with PostgreSQL's binary COPY. COPY has no ON CONFLICT, so a batch that collides with rows
/// already stored (another worker recovered the same run while this one still ran) is retried through a temporary
/// table and <c>INSERT … ON CONFLICT DO NOTHING</c>: the unique (run, task, item) key keeps exactly one result.
/// </summary>
public static class ResultWriter
{
    private const string Columns = "run_id, task_id, item_key, prompt, raw_output, parsed, reference, outcome, score, latency_ms, tokens_in, tokens_out, error, created_at, details";

    /// <returns>How many rows were new.</returns>
    public static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<ResultRow> rows, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0) return 0;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await CopyAsync(connection, "results", rows, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return rows.Count;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync(cancellationToken);
        }
        return await WriteSkippingDuplicatesAsync(connection, rows, cancellationToken);
    }

    private static async Task<int> WriteSkippingDuplicatesAsync(NpgsqlConnection connection, IReadOnlyList<ResultRow> rows, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE results_staging ON COMMIT DROP AS SELECT {Columns} FROM results WITH NO DATA", connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken);
        await CopyAsync(connection, "results_staging", rows, cancellationToken);
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO results ({Columns}) SELECT {Columns} FROM results_staging ON CONFLICT (run_id, task_id, item_key) DO NOTHING", connection, transaction);
        var inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string table, IReadOnlyList<ResultRow> rows, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var row in rows)
        {
            var r = Escaped(row);
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(r.RunId, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(r.TaskId, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(r.ItemKey, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, r.Prompt, cancellationToken);
            await WriteNullableAsync(importer, r.RawOutput, cancellationToken);
            await WriteNullableAsync(importer, r.Parsed, cancellationToken);
            await WriteNullableAsync(importer, r.Reference, cancellationToken);
            await importer.WriteAsync(r.Outcome, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(r.Score, NpgsqlDbType.Double, cancellationToken);
            await importer.WriteAsync(r.LatencyMs, NpgsqlDbType.Double, cancellationToken);
            await importer.WriteAsync(r.TokensIn, NpgsqlDbType.Integer, cancellationToken);
            await importer.WriteAsync(r.TokensOut, NpgsqlDbType.Integer, cancellationToken);
            await WriteNullableAsync(importer, r.Error, cancellationToken);
            await importer.WriteAsync(r.CreatedAt, NpgsqlDbType.TimestampTz, cancellationToken);
            if (r.Details is null) await importer.WriteNullAsync(cancellationToken);
            else await importer.WriteAsync(r.Details, NpgsqlDbType.Jsonb, cancellationToken);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// <see cref="StoredText"/>'s rule for model text: NUL and lone surrogates escaped, the answer kept, and the result's
    /// details marked <c>text_escaped</c> so a reader knows the stored text differs from what the model sent.
    /// </summary>
    internal static ResultRow Escaped(ResultRow r)
    {
        var texts = new[] { r.ItemKey, r.Prompt, r.RawOutput, r.Parsed, r.Reference, r.Error };
        var details = r.Details is null ? null : StoredText.EscapeJson(r.Details);
        if (!texts.Any(StoredText.NeedsEscaping) && ReferenceEquals(details, r.Details)) return r;
        JsonObject marked;
        try
        {
            marked = details is null ? [] : JsonNode.Parse(details) as JsonObject ?? new JsonObject { ["value"] = JsonNode.Parse(details) };
        }
        catch (System.Text.Json.JsonException)
        {
            marked = new JsonObject { ["unparsed"] = details };
        }
        marked["text_escaped"] = "U+0000 stored as U+2400, lone surrogates as U+FFFD";
        return r with
        {
            ItemKey = StoredText.Escape(r.ItemKey), Prompt = StoredText.EscapeNullable(r.Prompt), RawOutput = StoredText.EscapeNullable(r.RawOutput),
            Parsed = StoredText.EscapeNullable(r.Parsed), Reference = StoredText.EscapeNullable(r.Reference), Error = StoredText.EscapeNullable(r.Error),
            Details = marked.ToJsonString(),
        };
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken)
    {
        if (value is null) await importer.WriteNullAsync(cancellationToken);
        else await importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
    }
}
