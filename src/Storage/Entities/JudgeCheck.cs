namespace Evals.Storage.Entities;

/// <summary>
/// One <c>evals judge-check</c> (table <c>judge_checks</c>): how far a judge model agrees with labels on a labelled
/// file. A run scored by a judge needs the latest check of that judge (same identity and judge prompt version) to
/// reach the configured minimum kappa. The judge is stored by its identity, which holds no key (keys come from
/// environment variables at call time).
/// </summary>
public class JudgeCheck
{
    public Guid Id { get; set; }
    /// <summary>The judge's model identity (scheme, target and answer-changing options; what the response cache keys on).</summary>
    public required string JudgeIdentity { get; set; }
    /// <summary>The spec or registered name as given, for people.</summary>
    public required string JudgeName { get; set; }
    public required string PromptVersion { get; set; }
    /// <summary>What was checked: <c>hallucination</c> (yes/no verdicts on labelled answers), <c>pairwise</c> (A/B/tie
    /// verdicts, both orders, on human pairwise votes) or <c>single</c> (1–10 grades against people's grades). A run
    /// consults the check of the mode its judged tasks need.</summary>
    public string Mode { get; set; } = Modes.Hallucination;
    /// <summary>Pairwise: the share (0–100) of items read in both orders whose verdict changed with the order; null otherwise.</summary>
    public double? PositionBiasRate { get; set; }
    /// <summary>Single: Spearman's rho between the judge's grades and people's (what the check passes on); null otherwise or when undefined.</summary>
    public double? Spearman { get; set; }
    /// <summary>Single: Kendall's tau-b (ties counted) between the judge's grades and people's; null otherwise or when undefined.</summary>
    public double? KendallTauB { get; set; }
    public required string LabelsFile { get; set; }
    /// <summary>SHA-256 of the labels file, so that two checks on the same labels can be recognised.</summary>
    public required string LabelsSha256 { get; set; }
    /// <summary>Labels with a readable verdict: what kappa is computed over (pairwise: the human votes, several per item).</summary>
    public int Items { get; set; }
    /// <summary>Items the judge gave no readable verdict for (left out of kappa, reported).</summary>
    public int Unjudged { get; set; }
    /// <summary>Cohen's kappa; null when undefined (both raters always gave one label).</summary>
    public double? Kappa { get; set; }
    /// <summary>Share of items where judge and label agree, 0–100 (single: the same grade exactly).</summary>
    public double Agreement { get; set; }
    /// <summary>The minimum the check's measure had to reach: Cohen's kappa, or for <c>single</c> Spearman's rho.</summary>
    public double MinKappa { get; set; }
    public bool Passed { get; set; }
    public DateTimeOffset CheckedAt { get; set; }

    public static class Modes
    {
        public const string Hallucination = "hallucination";
        public const string Pairwise = "pairwise";
        public const string Single = "single";
        public static readonly IReadOnlyList<string> All = [Hallucination, Pairwise, Single];
    }
}
