using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Feedback;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Evals.Web.Feedback;

/// <summary>An event left out of a batch, with its problems by field.</summary>
public sealed record RejectedEvent(int Index, string? EventId, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>What a <c>POST /api/feedback</c> did: new events stored, resent ones skipped, invalid ones left out.</summary>
public sealed record IngestionResult(int Accepted, int Duplicates, IReadOnlyList<RejectedEvent> Rejected);

/// <summary>
/// Validates a body of one event or a batch, checks each named experiment and variant exists, and stores the valid
/// events with those of concurrent requests in one group commit (<see cref="FeedbackGroupCommit"/>). Nothing is written
/// for an event with any problem; the others are stored. An event without model, input and output rates a trace stored
/// from <c>/api/otel/v1/traces</c> by the same key: its latest unrated span takes the rating in place, so the trace is
/// counted once on the dashboards and checked once; a trace whose spans are all rated counts the event as a duplicate.
/// </summary>
public sealed class FeedbackIngestion(IDbContextFactory<EvalsDbContext> dbFactory, StorageConnection storage, FeedbackGroupCommit groupCommit, TimeProvider time)
{
    public const int MaxBatch = 1_000;

    public async Task<IngestionResult> IngestAsync(IReadOnlyList<JsonElement> events, Guid apiKeyId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var rejected = new List<RejectedEvent>();
        var parsed = new List<(int Index, ParsedFeedback Event)>();
        for (var i = 0; i < events.Count; i++)
        {
            var (e, errors) = FeedbackEventParser.Parse(events[i], now);
            if (e is null) rejected.Add(new RejectedEvent(i, EventIdOf(events[i]), errors));
            else parsed.Add((i, e));
        }

        var experiments = await ExperimentsAsync(parsed.Select(p => p.Event.Experiment).OfType<string>().Distinct().ToList(), cancellationToken);
        var rows = new List<FeedbackRow>(parsed.Count);
        var ratings = new List<(int Index, ParsedFeedback Event, Guid? ExperimentId)>();
        foreach (var (index, e) in parsed)
        {
            Guid? experimentId = null;
            if (e.Experiment is not null)
            {
                if (!experiments.TryGetValue(e.Experiment, out var experiment))
                {
                    rejected.Add(new RejectedEvent(index, e.EventId, new Dictionary<string, string[]> { ["experiment"] = [$"unknown experiment '{e.Experiment}'"] }));
                    continue;
                }
                if (!experiment.Variants.Contains(e.Variant!))
                {
                    rejected.Add(new RejectedEvent(index, e.EventId, new Dictionary<string, string[]>
                        { ["variant"] = [$"experiment '{e.Experiment}' has no variant '{e.Variant}'; its variants: {string.Join(", ", experiment.Variants)}"] }));
                    continue;
                }
                experimentId = experiment.Id;
            }
            if (e.RatesStoredTrace) ratings.Add((index, e, experimentId));
            else
                rows.Add(new FeedbackRow(e.EventId, e.TraceId, e.Model!, experimentId, e.Variant, e.Input!, e.Output!, e.RatingScale, e.Rating, e.Positive,
                    e.Tags, e.Comment, e.Timestamp ?? now, now, apiKeyId));
        }

        // Even with no row to store, the group commit checks the key and counts the request.
        var accepted = await groupCommit.WriteAsync(apiKeyId, rows, cancellationToken);
        var duplicates = rows.Count - accepted;
        if (ratings.Count > 0)
        {
            var (rated, alreadyRated, unknown) = await RateStoredTracesAsync(ratings, apiKeyId, cancellationToken);
            accepted += rated;
            duplicates += alreadyRated;
            rejected.AddRange(unknown.Select(r => new RejectedEvent(r.Index, r.Event.EventId, new Dictionary<string, string[]>
            {
                ["trace_id"] = [$"no trace '{r.Event.TraceId}' was sent to /api/otel/v1/traces with this key; to rate an answer sent no other way, send model, input and output too"],
            })));
        }
        return new IngestionResult(accepted, duplicates, rejected.OrderBy(r => r.Index).ToList());
    }

    private async Task<(int Rated, int AlreadyRated, List<(int Index, ParsedFeedback Event, Guid? ExperimentId)> Unknown)> RateStoredTracesAsync(
        List<(int Index, ParsedFeedback Event, Guid? ExperimentId)> ratings, Guid apiKeyId, CancellationToken cancellationToken)
    {
        int rated = 0, alreadyRated = 0;
        var unknown = new List<(int, ParsedFeedback, Guid?)>();
        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            foreach (var (index, e, experimentId) in ratings)
            {
                // FOR UPDATE: of two ratings racing for one span, the second re-reads it as rated and takes the next, or none.
                await using var update = new NpgsqlCommand("""
                    UPDATE feedback_events SET rating_scale = $3, rating = $4, positive = $5, tags = $6, comment = $7, experiment_id = $8, variant = $9
                    WHERE id = (SELECT id FROM feedback_events WHERE api_key_id = $1 AND trace_id = $2 AND rating_scale IS NULL AND event_id LIKE 'otel:%'
                                ORDER BY occurred_at DESC, id DESC LIMIT 1 FOR UPDATE)
                    """, connection);
                update.Parameters.AddWithValue(apiKeyId);
                update.Parameters.AddWithValue(e.TraceId);
                update.Parameters.AddWithValue(e.RatingScale);
                update.Parameters.AddWithValue(e.Rating);
                update.Parameters.AddWithValue(e.Positive);
                update.Parameters.AddWithValue(e.Tags);
                update.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Comment ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                update.Parameters.Add(new NpgsqlParameter { Value = (object?)experimentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
                update.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Variant ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                if (await update.ExecuteNonQueryAsync(cancellationToken) == 1)
                {
                    rated++;
                    continue;
                }
                await using var exists = new NpgsqlCommand(
                    "SELECT EXISTS (SELECT 1 FROM feedback_events WHERE api_key_id = $1 AND trace_id = $2 AND event_id LIKE 'otel:%')", connection);
                exists.Parameters.AddWithValue(apiKeyId);
                exists.Parameters.AddWithValue(e.TraceId);
                if ((bool)(await exists.ExecuteScalarAsync(cancellationToken))!) alreadyRated++;
                else unknown.Add((index, e, experimentId));
            }
        }
        catch (NpgsqlException ex)
        {
            throw new FeedbackUnavailableException($"the database did not store the ratings ({ex.Message}); send them again");
        }
        return (rated, alreadyRated, unknown);
    }

    private sealed record KnownExperiment(Guid Id, HashSet<string> Variants);

    private async Task<Dictionary<string, KnownExperiment>> ExperimentsAsync(List<string> names, CancellationToken cancellationToken)
    {
        if (names.Count == 0) return [];
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await db.Experiments.AsNoTracking().Where(e => names.Contains(e.Name)).Select(e => new { e.Id, e.Name, e.Variants }).ToListAsync(cancellationToken);
        return found.ToDictionary(e => e.Name, e => new KnownExperiment(e.Id,
            JsonDocument.Parse(e.Variants).RootElement.EnumerateArray().Select(v => v.GetProperty("name").GetString()!).ToHashSet(StringComparer.Ordinal)));
    }

    private static string? EventIdOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("event_id", out var id) && id.ValueKind == JsonValueKind.String ? FeedbackEventParser.ReadText(id, out _) : null;
}
