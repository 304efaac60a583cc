namespace Evals.Storage.Entities;

/// <summary>
/// The result of one automatic online check on one feedback event (table <c>feedback_checks</c>): exactly one row per
/// (event, check), so rerunning the checks job never counts an event twice.
/// </summary>
public class FeedbackCheck
{
    public long FeedbackId { get; set; }
    /// <summary><c>hallucination</c>, <c>refusal</c>, <c>language</c> or <c>length</c>.</summary>
    public required string Kind { get; set; }
    /// <summary><c>pass</c>, <c>flagged</c> (the check found the problem it looks for) or <c>error</c> (it could not decide).</summary>
    public required string Outcome { get; set; }
    /// <summary>The check's measurement (script ratio, robust z of the length, …), when it has one.</summary>
    public double? Score { get; set; }
    /// <summary>What the check saw (jsonb): the judge's verdict text, the detected phrase, the thresholds used.</summary>
    public string? Details { get; set; }
    public DateTimeOffset CheckedAt { get; set; }
}
