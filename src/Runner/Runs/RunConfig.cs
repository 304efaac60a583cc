using System.Text.Json;
using System.Text.Json.Serialization;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Runs;

/// <summary>What a run was asked to do besides model and suite; stored as the run's configuration JSON.</summary>
public sealed record RunConfig
{
    /// <summary>Items per task (the first N of the evaluation split); null for all.</summary>
    public int? Limit { get; init; }
    public int? Shots { get; init; }
    /// <summary><c>auto</c> (log-likelihood when the model can, else generation), <c>loglikelihood</c> or <c>generate</c>.</summary>
    public string Mode { get; init; } = "auto";
    public int Seed { get; init; }
    public string? PromptVariant { get; init; }
    /// <summary>Prompt A/B: full task name → the template that replaces the manifest's for this run (stored with the run).</summary>
    public Dictionary<string, string>? PromptTemplates { get; init; }
    /// <summary>The version of <see cref="PromptTemplates"/> (<c>PromptTemplates.Hash</c>).</summary>
    public string? PromptHash { get; init; }
    /// <summary>The offline A/B experiment this run belongs to (<c>evals ab run</c>).</summary>
    public Guid? Experiment { get; init; }
    public DecodingOptions Decoding { get; init; } = new();
    /// <summary>Multiple choice: also ask every rotation of the options; an item counts for circular accuracy only if all are right.</summary>
    public bool Circular { get; init; }
    /// <summary>Items evaluated between two commits of results.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Call the model for every item even when the response cache holds the answer (<c>--no-cache</c>).</summary>
    public bool NoCache { get; init; }
    /// <summary>Judged tasks (hallucination): the judge's spec, resolved at submission from <c>--judge</c> (a spec or a registered name).</summary>
    public string? Judge { get; init; }
    /// <summary>The judge as given (<c>--judge</c>), for people.</summary>
    public string? JudgeName { get; init; }
    /// <summary>Pairwise tasks (<c>--baseline SPEC</c>): the baseline model's spec, asked live; resolved at submission.</summary>
    public string? PairwiseBaseline { get; init; }
    /// <summary>Pairwise tasks (<c>--baseline RUN-ID</c>): a stored run of the baseline model on the same suite whose answers are compared.</summary>
    public Guid? PairwiseBaselineRun { get; init; }
    /// <summary>The baseline as given (<c>--baseline</c>), for people; absent when the items' own baseline answers are used.</summary>
    public string? PairwiseBaselineName { get; init; }
    /// <summary>SelfCheck (<c>--selfcheck K</c>): answers sampled per item besides the main one; 0 for none.</summary>
    public int SelfCheckSamples { get; init; }
    /// <summary>SelfCheck: the sampling temperature (<c>--selfcheck-temperature</c>).</summary>
    public double SelfCheckTemperature { get; init; } = 1.0;

    /// <summary>
    /// Self-consistency (<c>--samples K</c>): numeric-answer tasks ask K sampled answers per item and score their majority
    /// vote (<c>NumericAnswerTask.ScoreMajority</c>); 0 for one answer per item. Needs sampling (temperature &gt; 0).
    /// </summary>
    public int Samples { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunConfig FromJson(string json) => JsonSerializer.Deserialize<RunConfig>(json, Json) ?? new RunConfig();
}
