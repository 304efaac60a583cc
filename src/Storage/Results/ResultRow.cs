namespace Evals.Storage.Results;

/// <summary>One item's result as the bulk writer takes it.</summary>
public sealed record ResultRow(
    Guid RunId,
    Guid TaskId,
    string ItemKey,
    string? Prompt,
    string? RawOutput,
    string? Parsed,
    string? Reference,
    string Outcome,
    double Score,
    double LatencyMs,
    int TokensIn,
    int TokensOut,
    string? Error,
    DateTimeOffset CreatedAt,
    string? Details = null);
