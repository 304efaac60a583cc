namespace Evals.Benchmarks.Ratings;

/// <summary>The result of one battle, as Chatbot Arena's published battle records spell it.</summary>
public enum BattleWinner
{
    /// <summary><c>model_a</c>.</summary>
    ModelA,
    /// <summary><c>model_b</c>.</summary>
    ModelB,
    /// <summary><c>tie</c>: both answers equally good.</summary>
    Tie,
    /// <summary><c>tie (bothbad)</c>: both answers bad. Every rating here counts it as a tie, as FastChat does.</summary>
    TieBothBad,
}

/// <summary>
/// One pairwise battle in Chatbot Arena's battle-record shape (<c>model_a</c>, <c>model_b</c>, <c>winner</c>).
/// Order matters only to the online Elo, which processes battles in the order given.
/// </summary>
public sealed record Battle(string ModelA, string ModelB, BattleWinner Winner)
{
    /// <summary>Style of model A's answer, when known (Chatbot Arena's <c>conv_metadata</c>, or measured from our arena's answers); style control needs it.</summary>
    public AnswerStyle? StyleA { get; init; }

    /// <summary>Style of model B's answer, when known.</summary>
    public AnswerStyle? StyleB { get; init; }

    /// <summary>The prompt's categories (<see cref="PromptCategories"/>), when known.</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>The voter saw the models' names (Chatbot Arena's <c>"anony": false</c>). Chatbot Arena's leaderboard counts
    /// only anonymous votes, since a voter who knows the names may vote for the brand.</summary>
    public bool Named { get; init; }

    /// <summary>Parses a winner as written in arena battle files: <c>model_a</c>, <c>model_b</c>, <c>tie</c>, <c>tie (bothbad)</c>.</summary>
    public static BattleWinner ParseWinner(string winner) => winner switch
    {
        "model_a" => BattleWinner.ModelA,
        "model_b" => BattleWinner.ModelB,
        "tie" => BattleWinner.Tie,
        "tie (bothbad)" => BattleWinner.TieBothBad,
        _ => throw new FormatException(
            $"Unknown battle winner '{winner}'; expected model_a, model_b, tie or tie (bothbad)."),
    };

    /// <summary>The winner as written in arena battle files.</summary>
    public static string FormatWinner(BattleWinner winner) => winner switch
    {
        BattleWinner.ModelA => "model_a",
        BattleWinner.ModelB => "model_b",
        BattleWinner.Tie => "tie",
        BattleWinner.TieBothBad => "tie (bothbad)",
        _ => throw new ArgumentOutOfRangeException(nameof(winner)),
    };

    /// <summary>Model A's score in this battle: 1 for a win, 0 for a loss, ½ for either kind of tie.</summary>
    public double ScoreA => Winner switch
    {
        BattleWinner.ModelA => 1.0,
        BattleWinner.ModelB => 0.0,
        _ => 0.5,
    };
}
