namespace Evals.Benchmarks.Suites;

/// <summary>
/// Exactly one per item (DESIGN.md). A miss is a miss: every metric divides by all outcomes but <see cref="Error"/>, so
/// unparseable, refused and unjudged items score 0; error items make the run incomplete.
/// </summary>
public enum Outcome
{
    Correct,
    Wrong,
    Unparseable,
    Refused,
    Error,
    /// <summary>A judged task whose judge gave no verdict that could be read: neither pass nor fail.</summary>
    Unjudged,
}

public static class OutcomeNames
{
    public static string ToName(this Outcome outcome) => outcome switch
    {
        Outcome.Correct => "correct",
        Outcome.Wrong => "wrong",
        Outcome.Unparseable => "unparseable",
        Outcome.Refused => "refused",
        Outcome.Unjudged => "unjudged",
        _ => "error",
    };

    public static Outcome Parse(string name) => name switch
    {
        "correct" => Outcome.Correct,
        "wrong" => Outcome.Wrong,
        "unparseable" => Outcome.Unparseable,
        "refused" => Outcome.Refused,
        "error" => Outcome.Error,
        "unjudged" => Outcome.Unjudged,
        _ => throw new ArgumentException($"unknown outcome '{name}'", nameof(name)),
    };
}
