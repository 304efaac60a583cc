namespace Evals.Storage.Feedback;

/// <summary>
/// One validated feedback event, or one GenAI span (no rating, with latency, usage and user ids), as the writer takes it
/// (see <see cref="Entities.FeedbackEvent"/>).
/// </summary>
public sealed record FeedbackRow(
    string EventId,
    string TraceId,
    string Model,
    Guid? ExperimentId,
    string? Variant,
    string Input,
    string Output,
    string? RatingScale,
    short? Rating,
    bool? Positive,
    string[] Tags,
    string? Comment,
    DateTimeOffset OccurredAt,
    DateTimeOffset ReceivedAt,
    Guid ApiKeyId,
    double? LatencyMs = null,
    int? InputTokens = null,
    int? OutputTokens = null,
    string? UserId = null,
    string? SessionId = null);
