using Evals.Runner.Jobs;
using Evals.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Evals.Runner.Backends.Caching;

/// <summary>
/// The <c>response_cache</c> table: one jsonb response per key. A cache failure never fails an item: a lookup that
/// cannot reach the database is a miss, a store that cannot is skipped (the result itself is written by the job, which
/// rides out outages on its own).
/// </summary>
public sealed class ResponseCache(StorageConnection storage, ILogger<ResponseCache> logger)
{
    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(storage.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("select response::text from response_cache where key = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }
        catch (Exception e) when (DatabaseRetry.IsTransient(e))
        {
            logger.LogWarning("Response cache lookup failed ({Error}); calling the model", e.Message);
            return null;
        }
    }

    public async Task PutAsync(string key, string model, string kind, string responseJson, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(storage.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            // Two workers may answer the same request at once; the first stored answer stands.
            await using var command = new NpgsqlCommand(
                "insert into response_cache (key, model, kind, response) values ($1, $2, $3, $4::jsonb) on conflict (key) do nothing", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            // The identity names the model's options, and a say baseline's text may hold NUL (StoredText's rule: escaped).
            command.Parameters.Add(new NpgsqlParameter { Value = Evals.Storage.Text.StoredText.Escape(model) });
            command.Parameters.Add(new NpgsqlParameter { Value = kind });
            command.Parameters.Add(new NpgsqlParameter { Value = Evals.Storage.Text.StoredText.EscapeJson(responseJson) });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception e) when (DatabaseRetry.IsTransient(e) || e is PostgresException { SqlState: [ '2', '2', .. ] })
        {
            // Class 22 (data exception: text PostgreSQL cannot store) costs the cache entry, never the answer.
            logger.LogWarning("Response cache store failed ({Error}); the result is kept, only not cached", e.Message);
        }
    }
}
