namespace Evals.Storage.Entities;

/// <summary>
/// One model call's response (table <c>response_cache</c>), keyed by a SHA-256 of the model's identity, the decoding
/// parameters, the full request and, for unseeded sampling, the sample index. Errors are never cached.
/// </summary>
public class CachedResponse
{
    /// <summary>Lower-case hex SHA-256 of the canonical request (see the Runner's response cache).</summary>
    public required string Key { get; set; }
    /// <summary>The model identity the key was derived from, for inspection and targeted deletes.</summary>
    public required string Model { get; set; }
    /// <summary><c>generate</c> or <c>score</c>.</summary>
    public required string Kind { get; set; }
    public required string Response { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
