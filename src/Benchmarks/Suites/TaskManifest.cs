using System.Text.Json;
using System.Text.Json.Serialization;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// The declaration of one task, read from <c>datasets/&lt;suite&gt;/&lt;task&gt;/task.json</c>. A task of a known kind needs
/// only this file and its data; see datasets/README.md for the fields.
/// </summary>
public sealed record TaskManifest
{
    /// <summary>Task name without the suite, e.g. <c>idioms</c>; the full name is <c>suite/name</c>.</summary>
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public string Description { get; init; } = "";
    /// <summary>Split name → data file (JSON Lines) relative to the manifest.</summary>
    public required Dictionary<string, string> Files { get; init; }
    public string EvalSplit { get; init; } = "test";
    public string? FewshotSplit { get; init; }
    public int Shots { get; init; }
    /// <summary><c>seeded</c> (default): examples in a fixed order drawn with <see cref="FewshotSeed"/>; <c>first</c>: file order.</summary>
    public string FewshotSampling { get; init; } = "seeded";
    public int FewshotSeed { get; init; } = 1234;
    public string IdField { get; init; } = "id";
    public required string AnswerField { get; init; }
    /// <summary>Multiple choice: the item field holding the options (an array of strings).</summary>
    public string? ChoicesField { get; init; }
    /// <summary>Classification: raw label value → the label word the model should say, in choice order.</summary>
    public List<LabelWord>? Labels { get; init; }
    /// <summary><c>letter</c> (the model answers A/B/C/D) or <c>text</c> (the model answers with the option itself).</summary>
    public string AnswerStyle { get; init; } = "letter";
    /// <summary>
    /// Multi-turn items: the item field holding the context turns (an array of <c>{role, content}</c>, roles system, user,
    /// assistant); the rendered template becomes the user's last turn, or, when the template is empty, the turns alone are the prompt.
    /// </summary>
    public string? MessagesField { get; init; }
    /// <summary>Prompt with <c>{field}</c> placeholders; <c>{choices}</c> renders the lettered options.</summary>
    public required string Template { get; init; }
    /// <summary>Put between a few-shot example's prompt and its answer, and between examples.</summary>
    public string ShotSeparator { get; init; } = "\n\n";
    public string Metric { get; init; } = "accuracy";
    public List<string> Capabilities { get; init; } = [];
    public string? Instruction { get; init; }
    /// <summary>Categories that scores are averaged over besides the task itself (C-Eval's STEM, CMMLU's China specific).</summary>
    public List<string> Categories { get; init; } = [];
    /// <summary>Span extraction: where generation stops.</summary>
    public List<string>? StopSequences { get; init; }
    /// <summary>Span extraction, numeric answers: the most tokens to generate.</summary>
    public int? MaxTokens { get; init; }
    /// <summary>
    /// Numeric answers: the relative tolerance for answers not both written as integers (CMATH: 0.01); absent or 0 for
    /// an exact match (MGSM). See <see cref="Maths.NumericComparison"/>.
    /// </summary>
    public double? Tolerance { get; init; }
    /// <summary>
    /// An item field whose values split the task's summary (CMATH's <c>grade</c>): the score per value beside the task's,
    /// when categories per task would not do because the items of one task differ.
    /// </summary>
    public string? BreakdownField { get; init; }
    /// <summary>Judged single grading (<c>judged_single</c>): which judge prompt family grades the answers (<see cref="Judging.JudgePromptStyles"/>).</summary>
    public string? JudgePrompt { get; init; }
    /// <summary>
    /// Set when the data is not shipped but placed by <c>evals import</c>: which format fills the files, and where users
    /// obtain the official ones. <see cref="Files"/> then names the JSON Lines files that the import writes.
    /// </summary>
    public ImportSource? Source { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

public sealed record LabelWord(string Value, string Word);

/// <param name="Format">The FORMAT of <c>evals import FORMAT</c> whose output fills this task.</param>
/// <param name="Task">The task's name in that import's output when it differs from the manifest's name.</param>
/// <param name="Obtain">Where users get the official files (the project ships none of them).</param>
/// <param name="Licence">The data's licence as its authors state it.</param>
public sealed record ImportSource(string Format, string? Task = null, string? Obtain = null, string? Licence = null);
