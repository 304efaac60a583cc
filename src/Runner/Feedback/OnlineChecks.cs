using System.Collections.Concurrent;
using System.Text.Json;
using Evals.Benchmarks.Feedback;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Models;
using Evals.Runner.Backends;
using Evals.Runner.Backends.Caching;
using Evals.Runner.Runs;
using Evals.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Evals.Runner.Feedback;

/// <summary>One check's result for one event, as stored in <c>feedback_checks</c>.</summary>
public sealed record CheckResult(long FeedbackId, string Kind, string Outcome, double? Score, string? Details);

/// <summary>What one pass did.</summary>
public sealed record OnlineChecksReport(int Sampled, int Stored);

/// <summary>
/// Samples recent feedback events that still lack a check and runs the automatic checks on them: the hallucination
/// judge (when a judge model is configured), refusal detection, the answer-language rule and length outliers against
/// the model's own recent answers. Results are inserted with ON CONFLICT DO NOTHING on (event, check), so a rerun, or
/// two nodes overlapping, never stores a check twice. The sample is a stable pseudo-random order (a hash of the event
/// id), so an interrupted pass is resumed rather than redrawn.
/// </summary>
public sealed class OnlineChecks(
    StorageConnection storage, OnlineChecksOptions options, ModelResolver models, BackendFactory backends, ResponseCache cache,
    TimeProvider time, ILogger<OnlineChecks> logger)
{
    public const string Hallucination = "hallucination";
    public const string Refusal = "refusal";
    public const string Language = "language";
    public const string Length = "length";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record Sampled(long Id, string EventId, string Model, string Input, string Output, HashSet<string> Done);

    public IReadOnlyList<string> Kinds => options.JudgeModel is { Length: > 0 } ? [Hallucination, Refusal, Language, Length] : [Refusal, Language, Length];

    public async Task<OnlineChecksReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var kinds = Kinds;
        var now = time.GetUtcNow();
        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var sample = await SampleAsync(connection, kinds, now - TimeSpan.FromDays(options.WindowDays), cancellationToken);
        if (sample.Count == 0)
        {
            logger.LogInformation("Online checks: 0 events sampled, every recent event is checked");
            return new OnlineChecksReport(0, 0);
        }

        var results = new List<CheckResult>();
        foreach (var e in sample)
        {
            if (!e.Done.Contains(Refusal))
            {
                var refused = RefusalDetector.IsRefusal(e.Output);
                results.Add(new CheckResult(e.Id, Refusal, refused ? "flagged" : "pass", null, null));
            }
            if (!e.Done.Contains(Language))
            {
                var verdict = AnswerLanguage.Check(e.Input, e.Output);
                results.Add(new CheckResult(e.Id, Language, verdict.Flagged ? "flagged" : "pass", verdict.AnswerShare,
                    JsonSerializer.Serialize(new { verdict.QuestionShare, verdict.AnswerShare, verdict.Reason }, Json)));
            }
        }
        results.AddRange(await LengthAsync(connection, sample.Where(e => !e.Done.Contains(Length)).ToList(), now, cancellationToken));
        if (kinds.Contains(Hallucination))
            results.AddRange(await JudgeAsync(sample.Where(e => !e.Done.Contains(Hallucination)).ToList(), cancellationToken));

        var stored = await StoreAsync(connection, results, now, cancellationToken);
        logger.LogInformation("Online checks: {Sampled} events sampled, {Stored} check results stored", sample.Count, stored);
        return new OnlineChecksReport(sample.Count, stored);
    }

    private async Task<List<Sampled>> SampleAsync(NpgsqlConnection connection, IReadOnlyList<string> kinds, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT f.id, f.event_id, f.model, f.input, f.output, coalesce(array_agg(c.kind) FILTER (WHERE c.kind IS NOT NULL), '{}')
            FROM feedback_events f LEFT JOIN feedback_checks c ON c.feedback_id = f.id AND c.kind = ANY($2)
            WHERE f.occurred_at >= $1
            GROUP BY f.id
            HAVING count(c.kind) < cardinality($2)
            ORDER BY hashtextextended(f.event_id, 0), f.id
            LIMIT $3
            """, connection);
        command.Parameters.AddWithValue(since);
        command.Parameters.AddWithValue(kinds.ToArray());
        command.Parameters.AddWithValue(options.SampleSize);
        var sample = new List<Sampled>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            sample.Add(new Sampled(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<string[]>(5).ToHashSet(StringComparer.Ordinal)));
        return sample;
    }

    /// <summary>Each sampled answer against its model's profile over the last 28 days of answers (sample included).</summary>
    private static async Task<List<CheckResult>> LengthAsync(NpgsqlConnection connection, List<Sampled> events, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var results = new List<CheckResult>();
        foreach (var group in events.GroupBy(e => e.Model))
        {
            var lengths = new List<int>();
            await using (var command = new NpgsqlCommand("SELECT char_length(output) FROM feedback_events WHERE model = $1 AND occurred_at >= $2", connection))
            {
                command.Parameters.AddWithValue(group.Key);
                command.Parameters.AddWithValue(now - TimeSpan.FromDays(28));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) lengths.Add(reader.GetInt32(0));
            }
            var profile = LengthOutliers.Profile(lengths);
            foreach (var e in group)
            {
                if (profile is null)
                {
                    results.Add(new CheckResult(e.Id, Length, "error", null,
                        JsonSerializer.Serialize(new { reason = $"only {lengths.Count} answers of this model in 28 days; a profile needs {LengthOutliers.MinProfile}" }, Json)));
                    continue;
                }
                var z = LengthOutliers.RobustZ(profile, e.Output.Length);
                var finite = double.IsFinite(z) ? z : Math.Sign(z) * 1e6;
                results.Add(new CheckResult(e.Id, Length, Math.Abs(z) > LengthOutliers.Threshold ? "flagged" : "pass", finite,
                    JsonSerializer.Serialize(new { characters = e.Output.Length, median_characters = Math.Round(profile.MedianCharacters, 1), robust_z = finite, threshold = LengthOutliers.Threshold, profile_count = profile.Count }, Json)));
            }
        }
        return results;
    }

    private async Task<List<CheckResult>> JudgeAsync(List<Sampled> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return [];
        var resolved = await models.ResolveAsync(options.JudgeModel!, cancellationToken);
        await using var backend = backends.CreateForRun(resolved.Spec, cache);
        var judge = new HallucinationJudge(backend);
        var results = new ConcurrentBag<CheckResult>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(options.JudgeConcurrency, backend.Capabilities.MaxConcurrency), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(events, parallel, async (e, ct) =>
        {
            try
            {
                var outcome = await judge.JudgeAsync(e.EventId, e.Input, e.Output, ct);
                var details = JsonSerializer.Serialize(new { judge = resolved.Name, prompt = HallucinationJudgePrompt.Version, reference = outcome.Reference, judge_output = outcome.JudgeOutput }, Json);
                results.Add(new CheckResult(e.Id, Hallucination, outcome.Verdict switch
                {
                    JudgeVerdict.Hallucinated => "flagged",
                    JudgeVerdict.NotHallucinated => "pass",
                    _ => "error",
                }, null, details));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // A failed call is not a verdict: nothing is stored, so the next pass asks again.
                logger.LogWarning("Online checks: judging event {EventId} failed: {Error}", e.EventId, ex.Message);
            }
        });
        return results.ToList();
    }

    private static async Task<int> StoreAsync(NpgsqlConnection connection, List<CheckResult> results, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (results.Count == 0) return 0;
        await using var command = new NpgsqlCommand("""
            INSERT INTO feedback_checks (feedback_id, kind, outcome, score, details, checked_at)
            SELECT r.id, r.kind, r.outcome, r.score, r.details::jsonb, $6
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::double precision[], $5::text[]) AS r(id, kind, outcome, score, details)
            ON CONFLICT (feedback_id, kind) DO NOTHING
            """, connection);
        command.Parameters.AddWithValue(results.Select(r => r.FeedbackId).ToArray());
        command.Parameters.AddWithValue(results.Select(r => r.Kind).ToArray());
        command.Parameters.AddWithValue(results.Select(r => r.Outcome).ToArray());
        command.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.Score).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.Details).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.AddWithValue(now);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
