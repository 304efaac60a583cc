namespace Evals.Storage.Entities;

/// <summary>
/// One user rating of one model answer, sent by an application through <c>POST /api/feedback</c> (table
/// <c>feedback_events</c>). <see cref="EventId"/> is the sender's idempotency key: a resent event is stored once.
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
    /// <summary><c>thumbs</c> (<see cref="Rating"/> 0 = down, 1 = up) or <c>stars</c> (1–5).</summary>
    public required string RatingScale { get; set; }
    public short Rating { get; set; }
    /// <summary>Thumbs up, or 4–5 stars: the one binary signal every dashboard rate is computed from.</summary>
    public bool Positive { get; set; }
    public string[] Tags { get; set; } = [];
    public string? Comment { get; set; }
    /// <summary>When the user rated (the event's <c>timestamp</c>, else when it was received).</summary>
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    /// <summary>The key that sent it (never the key itself).</summary>
    public Guid ApiKeyId { get; set; }

    public const string Thumbs = "thumbs";
    public const string Stars = "stars";
}
