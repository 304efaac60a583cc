namespace Evals.Storage.Entities;

/// <summary>
/// One model answer seen in production (an online trace, table <c>feedback_events</c>): a user's rating of it sent
/// through <c>POST /api/feedback</c>, or a GenAI span sent through <c>POST /api/otel/v1/traces</c>, which is unrated until
/// a rating names its trace id. <see cref="EventId"/> is the sender's idempotency key (for a span,
/// <c>otel:{trace id}:{span id}</c>): a resent event is stored once.
/// </summary>
public class FeedbackEvent
{
    public long Id { get; set; }
    public required string EventId { get; set; }
    public required string TraceId { get; set; }
    public required string Model { get; set; }
    /// <summary>The A/B experiment the answer was served under; set together with <see cref="Variant"/> or not at all.</summary>
    public Guid? ExperimentId { get; set; }
    public string? Variant { get; set; }
    public required string Input { get; set; }
    public required string Output { get; set; }
    /// <summary><c>thumbs</c> (<see cref="Rating"/> 0 = down, 1 = up) or <c>stars</c> (1–5); all three null for an unrated span.</summary>
    public string? RatingScale { get; set; }
    public short? Rating { get; set; }
    /// <summary>Thumbs up, or 4–5 stars: the one binary signal every dashboard rate is computed from (rated events only).</summary>
    public bool? Positive { get; set; }
    public string[] Tags { get; set; } = [];
    public string? Comment { get; set; }
    /// <summary>When the user rated (the event's <c>timestamp</c>, else when it was received); for a span, when it ended.</summary>
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    /// <summary>The key that sent it (never the key itself).</summary>
    public Guid ApiKeyId { get; set; }
    /// <summary>From a span only: its end minus its start.</summary>
    public double? LatencyMs { get; set; }
    /// <summary>From a span only: <c>gen_ai.usage.input_tokens</c> and <c>output_tokens</c>.</summary>
    public int? InputTokens { get; set; }
    public int? OutputTokens { get; set; }
    /// <summary>From a span only: <c>user.id</c>, and <c>session.id</c> or <c>gen_ai.conversation.id</c>.</summary>
    public string? UserId { get; set; }
    public string? SessionId { get; set; }

    public const string Thumbs = "thumbs";
    public const string Stars = "stars";
}
