namespace Evals.Benchmarks.Suites;

/// <summary>Exactly one per item (DESIGN.md). Metrics count Correct/Wrong; the others are reported beside the score.</summary>
public enum Outcome
{
    Correct,
    Wrong,
    Unparseable,
    Refused,
    Error,
}

public static class OutcomeNames
{
    public static string ToName(this Outcome outcome) => outcome switch
    {
        Outcome.Correct => "correct",
        Outcome.Wrong => "wrong",
        Outcome.Unparseable => "unparseable",
        Outcome.Refused => "refused",
        _ => "error",
    };

    public static Outcome Parse(string name) => name switch
    {
        "correct" => Outcome.Correct,
        "wrong" => Outcome.Wrong,
        "unparseable" => Outcome.Unparseable,
        "refused" => Outcome.Refused,
        "error" => Outcome.Error,
        _ => throw new ArgumentException($"unknown outcome '{name}'", nameof(name)),
    };
}
