namespace Evals.Benchmarks.Metrics;

/// <summary>
/// Single grading's metric: the judge's 1–10 grade times ten (0–100, as every score in Evals), averaged over the items
/// asked; a multi-turn item scores the mean of its turns' grades. An unjudged item (any of its turns without a readable
/// rating) scores 0: a miss is a miss.
/// The benchmarks' own 1–10 figures (AlignBench's 总分, the MT-Bench score) are computed beside it from the stored
/// grades (<see cref="Judging.OfficialGradeAggregates"/>).
/// </summary>
public static class JudgeScore
{
    public const string Name = "judge_score";

    public static readonly MetricInfo Info = new(Name, Aggregation.Mean, HigherIsBetter: true,
        "the judge's 1–10 grade ×10, averaged over items (a multi-turn item: the mean of its turns); unjudged items score 0");
}
