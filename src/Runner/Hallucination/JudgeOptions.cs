namespace Evals.Runner.Hallucination;

/// <summary>Bound from the <c>Judge</c> configuration section (<c>Judge__MinKappa=0.7</c>).</summary>
public sealed class JudgeOptions
{
    /// <summary>The Cohen's kappa against labels that a judge's latest <c>evals judge-check</c> must reach before it may score runs.</summary>
    public double MinKappa { get; set; } = 0.6;
    /// <summary>
    /// The Cohen's kappa (three classes: first model, second model, tie) against human pairwise votes that a judge's latest
    /// <c>evals judge-check --mode pairwise</c> must reach before it may judge <c>judged_pairwise</c> tasks. Lower than
    /// <see cref="MinKappa"/>: people disagree with each other on pairwise votes far more than on hallucination labels.
    /// </summary>
    public double MinPairwiseKappa { get; set; } = 0.4;
    /// <summary>
    /// The Spearman's rho between a judge's 1–10 grades and people's that its latest <c>evals judge-check --mode single</c>
    /// (for the task's judge prompt) must reach before it may grade <c>judged_single</c> tasks. Grades of people vary
    /// with the rater by a point or two (MT-Bench's paper: GPT-4 agrees with experts about as often as experts agree with
    /// each other, ~66%), so a moderate rank correlation is the bar.
    /// </summary>
    public double MinSingleSpearman { get; set; } = 0.5;
    /// <summary>Most tokens a judge may write per verdict (reasons, then the verdict line).</summary>
    public int MaxTokens { get; set; } = 512;
    /// <summary>Most tokens a judge may write per single grading (AlignBench explains every dimension first; FastChat allows 2048).</summary>
    public int SingleMaxTokens { get; set; } = 2048;
}
