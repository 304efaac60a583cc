using Evals.Storage.Feedback;

namespace Evals.Web.Feedback.Otlp;

/// <summary>A span left out, with its problems by OTLP/GenAI field (as <see cref="RejectedEvent"/> does for feedback).</summary>
public sealed record RejectedSpan(int Index, string Path, string? TraceId, string? SpanId, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>
/// What a <c>POST /api/otel/v1/traces</c> did: new model calls stored, resent ones skipped, spans that are no model call
/// skipped, bad ones left out.
/// </summary>
public sealed record TraceIngestionResult(int Spans, int Accepted, int Duplicates, int Skipped, IReadOnlyList<RejectedSpan> Rejected);

/// <summary>
/// Turns the GenAI spans of an OTLP export into online traces: unrated rows of <c>feedback_events</c>, written by the
/// same group commit as <c>/api/feedback</c>'s events, so the online checks sample them and a rating sent later by trace
/// id lands on them. The idempotency key is <c>otel:{trace id}:{span id}</c> per sending key.
/// </summary>
public sealed class OtlpTraceIngestion(FeedbackGroupCommit groupCommit, TimeProvider time)
{
    public async Task<TraceIngestionResult> IngestAsync(IReadOnlyList<OtlpSpan> spans, Guid apiKeyId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var rejected = new List<RejectedSpan>();
        var rows = new List<FeedbackRow>();
        var skipped = 0;
        foreach (var span in spans)
        {
            if (!GenAiSpan.IsModelCall(span))
            {
                skipped++;
                continue;
            }
            var (call, errors) = GenAiSpan.Read(span, now);
            if (call is null)
            {
                rejected.Add(new RejectedSpan(span.Index, span.Path, span.TraceId, span.SpanId, errors));
                continue;
            }
            rows.Add(new FeedbackRow(call.EventId, call.TraceId, call.Model, null, null, call.Input, call.Output, null, null, null, [], null,
                call.EndedAt, now, apiKeyId, call.LatencyMs, call.InputTokens, call.OutputTokens, call.UserId, call.SessionId));
        }
        // Even with no row to store, the group commit checks the key and counts the request.
        var accepted = await groupCommit.WriteAsync(apiKeyId, rows, cancellationToken);
        return new TraceIngestionResult(spans.Count, accepted, rows.Count - accepted, skipped, rejected);
    }
}
