namespace Evals.Benchmarks.Hallucination;

/// <summary>What a hallucination judge decided about one answer. An output that says neither is no verdict (null), never a pass.</summary>
public enum JudgeVerdict
{
    NotHallucinated,
    Hallucinated,
}
