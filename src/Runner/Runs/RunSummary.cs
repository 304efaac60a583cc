using System.Text.Json;
using System.Text.Json.Serialization;

namespace Evals.Runner.Runs;

/// <summary>The run summary of DESIGN.md (<c>evals run --json</c>, <c>GET /api/runs/{id}</c>).</summary>
public sealed record RunSummary
{
    public required Guid RunId { get; init; }
    public required string Model { get; init; }
    public required string Suite { get; init; }
    public required string SuiteVersion { get; init; }
    public required string Mode { get; init; }
    public required string Status { get; init; }
    public required SortedDictionary<string, TaskSummary> Tasks { get; init; }
    public required SortedDictionary<string, double> Capabilities { get; init; }
    /// <summary>The mean of the capability scores (CUGE-style); with no capability, the mean of the task scores.</summary>
    /// Null when no scored task can count towards it (only overlap metrics, and no reference run).
    public double? Overall { get; init; }
    /// <summary>
    /// The overall's 95% interval: a stratified bootstrap (each task's items resampled on their own) carried through the
    /// same normalisation and roll-up as <see cref="Overall"/>; null when no task was scored.
    /// </summary>
    public double? OverallCiLow { get; init; }
    public double? OverallCiHigh { get; init; }
    /// <summary>The unweighted mean of the raw task scores, as the field <c>overall</c> was before the capability tree.</summary>
    public double TasksMean { get; init; }
    /// <summary><c>chance</c> or <c>reference</c> (CUGE's p/b): how task scores were normalised before the capability roll-up.</summary>
    public string Normalisation { get; init; } = CapabilityScores.Chance;
    /// <summary>Reference normalisation: the run every task score is a percentage of.</summary>
    public ReferenceRun? Reference { get; init; }
    /// <summary>Why a reference named in <c>capabilities.json</c> could not be used.</summary>
    public string? ReferenceNote { get; init; }
    /// <summary>Scored tasks that count towards no capability, and why.</summary>
    public SortedDictionary<string, string>? LeftOutOfCapabilities { get; init; }
    /// <summary>Per suite whose tasks declare categories (C-Eval, CMMLU): the mean over subjects per category and <c>overall</c>.</summary>
    public SortedDictionary<string, IReadOnlyDictionary<string, double>>? Categories { get; init; }
    /// <summary>
    /// Per suite of single-graded tasks (AlignBench, MT-Bench): the benchmark's own figures on its 1–10 scale from the
    /// stored per-judgment grades, computed as its script computes them (<see cref="Evals.Benchmarks.Judging.OfficialGradeAggregates"/>).
    /// </summary>
    public SortedDictionary<string, Evals.Benchmarks.Judging.OfficialGradeScores>? Judged { get; init; }
    public required UsageSummary Usage { get; init; }
    public double DurationS { get; init; }
    public int TotalItems { get; init; }
    public int CompletedItems { get; init; }
    public int FailedItems { get; init; }
    /// <summary>
    /// False while any item has outcome error or is missing (the model was not reached): the scores leave those items
    /// out, so they are not the run's final figures until <c>evals runs retry</c> completes it. The gate and A/B tests
    /// refuse an incomplete run.
    /// </summary>
    public bool Complete { get; init; }
    public string? Error { get; init; }
    /// <summary>What served the model: library, device and provider (e.g. that device=auto fell back to CPU).</summary>
    public string? Backend { get; init; }
    /// <summary>Judged tasks: the judge as given and as resolved (<c>name (spec)</c>), and its prompt version.</summary>
    public string? Judge { get; init; }
    /// <summary>SelfCheck: samples per item and their temperature, when sampled.</summary>
    public string? SelfCheck { get; init; }
    /// <summary>Pairwise tasks: what the answers were compared with (a stored run, a live model, or the items' own baseline answers).</summary>
    public string? PairwiseBaseline { get; init; }
    /// <summary>Self-consistency (<c>--samples K</c>): samples per item and their temperature; absent for one answer per item.</summary>
    public string? SelfConsistency { get; init; }
    /// <summary>A re-scoring (<c>evals runs rescore</c>): the run whose stored outputs it scored again; absent otherwise.</summary>
    public Guid? RescoredFrom { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>
/// One task's score: <see cref="Metric"/> over the <see cref="N"/> items the model was asked (every outcome but error;
/// unparseable and refused score 0), with a 95% percentile bootstrap interval; further metrics beside it
/// (<c>answered_accuracy</c> among them); its chance level and the score normalised against it.
/// </summary>
public sealed record TaskSummary(string Metric, double Score, int N, double CiLow, double CiHigh, IReadOnlyDictionary<string, int> Outcomes, string Version)
{
    public string CiMethod { get; init; } = "bootstrap_percentile_95";
    /// <summary>acc_norm_chars (log-likelihood, normalised by characters), circular, f1, … beside the main metric.</summary>
    public SortedDictionary<string, MetricSummary>? Metrics { get; init; }
    /// <summary>The score guessing uniformly among each item's answers expects (0–100).</summary>
    public double? Chance { get; init; }
    /// <summary>(score − chance) / (100 − chance) × 100: what the capability tree averages.</summary>
    public double? Normalised { get; init; }
    /// <summary>Reference normalisation: the reference run's score on this task.</summary>
    public double? ReferenceScore { get; init; }
    /// <summary>Reference normalisation: 100 × score / reference score, what the capability tree then averages.</summary>
    public double? Relative { get; init; }
    /// <summary>Generation mode: how many answers each extraction rule decided (failures included: no_answer, hedged, …).</summary>
    public SortedDictionary<string, int>? Extraction { get; init; }
    /// <summary>Tasks with a <c>breakdown_field</c> (CMATH's grade): the score per value of that field, keyed by the value.</summary>
    public SortedDictionary<string, MetricSummary>? Breakdown { get; init; }
    /// <summary>The item field <see cref="Breakdown"/> is keyed by.</summary>
    public string? BreakdownField { get; init; }
    /// <summary>Judged (hallucination) tasks: hallucination rate, per kind, refusal on unanswerable items, SelfCheck.</summary>
    public Evals.Benchmarks.Hallucination.HallucinationReport? Hallucination { get; init; }
    /// <summary>Pairwise (judged_pairwise) tasks: wins, losses, ties, unjudged, the win rate among judged items with its
    /// bootstrap interval, and the position-bias rate (share of items whose verdict changed with the order).</summary>
    public PairwiseReport? Pairwise { get; init; }
    /// <summary>Corpus BLEU: sacreBLEU's signature for how it was computed (ours: <c>version:evals-1</c>).</summary>
    public string? Signature { get; init; }
}

/// <summary>The run a summary's scores are relative to, and its model.</summary>
public sealed record ReferenceRun(Guid RunId, string Model);

/// <param name="Cost">Summed per item from the model's configured prices (<c>price_in</c>, <c>price_out</c> per million
/// tokens); items answered from the response cache cost nothing.</param>
/// <param name="CachedItems">Items answered from the response cache.</param>
/// <param name="MeanLatencyMs">Mean wall time per item, model call included.</param>
/// <param name="MeanTtftMs">Mean time to first token over streamed items; null when nothing was streamed.</param>
public sealed record UsageSummary(long PromptTokens, long CompletionTokens, double Cost, int CachedItems = 0, double MeanLatencyMs = 0, double? MeanTtftMs = null);

/// <summary>A pairwise task's judged results (<see cref="Evals.Benchmarks.Judging.PairwiseSummary"/>) and the judge prompt's version.</summary>
public sealed record PairwiseReport(int Wins, int Losses, int Ties, int Unjudged, int Flipped, int BothRead, double WinRate, double CiLow, double CiHigh,
    double? PositionBiasRate, string PromptVersion)
{
    /// <summary>Bradley–Terry ratings (the arena's fit and scale) over the run's judged pairs; null when none was judged.</summary>
    public PairwiseBradleyTerry? BradleyTerry { get; init; }
}

/// <summary>
/// Bradley–Terry ratings over a run's judged pairs (<see cref="Evals.Benchmarks.Judging.PairwiseRatings"/>): each judged
/// item one battle between the candidate and the baseline, ties half a win each way, unjudged items left out; the
/// arena's scale (400 points per factor 10 in the odds, the two centred on 1000) with a 95% bootstrap interval
/// (100 rounds, seed 0). <paramref name="Converged"/> is false when one side won every battle with no tie: the gap is
/// then unbounded and the ratings are only the fit's last iterate.
/// </summary>
/// <param name="Ratings">The candidate's row (model <c>candidate</c>), then the baseline's (<c>baseline</c>).</param>
public sealed record PairwiseBradleyTerry(int Battles, bool Converged, IReadOnlyList<PairwiseRating> Ratings, int Rounds, long Seed);

/// <param name="Model"><c>candidate</c> (the run's model) or <c>baseline</c> (what it was compared with; see the summary's <c>pairwise_baseline</c>).</param>
public sealed record PairwiseRating(string Model, double Rating, double CiLow, double CiHigh);
