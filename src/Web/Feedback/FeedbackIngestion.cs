using System.Text.Json;
using Evals.Storage;
using Evals.Storage.Feedback;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Feedback;

/// <summary>An event left out of a batch, with its problems by field.</summary>
public sealed record RejectedEvent(int Index, string? EventId, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>What a <c>POST /api/feedback</c> did: new events stored, resent ones skipped, invalid ones left out.</summary>
public sealed record IngestionResult(int Accepted, int Duplicates, IReadOnlyList<RejectedEvent> Rejected);

/// <summary>
/// Validates a body of one event or a batch, checks each named experiment and variant exists, and stores the valid
/// events with those of concurrent requests in one group commit (<see cref="FeedbackGroupCommit"/>). Nothing is written
/// for an event with any problem; the others are stored.
/// </summary>
public sealed class FeedbackIngestion(IDbContextFactory<EvalsDbContext> dbFactory, FeedbackGroupCommit groupCommit, TimeProvider time)
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
            rows.Add(new FeedbackRow(e.EventId, e.TraceId, e.Model, experimentId, e.Variant, e.Input, e.Output, e.RatingScale, e.Rating, e.Positive,
                e.Tags, e.Comment, e.Timestamp ?? now, now, apiKeyId));
        }

        var accepted = rows.Count > 0 ? await groupCommit.WriteAsync(rows, cancellationToken) : 0;
        return new IngestionResult(accepted, rows.Count - accepted, rejected.OrderBy(r => r.Index).ToList());
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
