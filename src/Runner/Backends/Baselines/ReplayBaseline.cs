using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// <c>baseline:replay?file=F[&amp;samples=FILE1,FILE2…]</c>: answers each item with an output recorded elsewhere, so that
/// published or externally produced outputs run through the whole pipeline. <c>F</c> is either
/// <list type="bullet">
/// <item>a responses file in HalluQA's format (a JSON array, keyed by <c>question_id</c>: HalluQA's
/// <c>gpt-4-0613_responses.json</c>), or</item>
/// <item>JSON Lines <c>{"task": "&lt;suite&gt;/&lt;task&gt;", "item_id": "…", "output": "…"}</c>
/// (<see cref="ReplayOutputFile"/>: OpenCompass eval-only, lm-evaluation-harness predict-only outputs); a line whose
/// task or item the suite lacks is bad input at submission (<see cref="CheckSuite"/>).</item>
/// </list>
/// SelfCheck samples (requests with a sample index <c>n</c>) are answered from <c>samples</c> file <c>n mod count</c>
/// (HalluQA format: other models' answers to the same question, a deterministic stand-in for sampling), or with the
/// main output when no samples file is given; from a JSON Lines file, sample <c>n</c> is the line's <c>samples[n mod count]</c>
/// (self-consistency), or its output when the line has none. An item the file has no output for is an error for that item
/// ("no output in replay file"): the run ends incomplete, as when a model could not be reached.
/// </summary>
internal sealed class ReplayBaseline(HalluQaResponseFile? main, ReplayOutputFile? lines, IReadOnlyList<HalluQaResponseFile> samples, string description)
    : IModelBackend
{
    public const string Target = "replay";

    public ModelCapabilities Capabilities { get; } = new(LogLikelihood: false, Generate: true, MaxConcurrency: 8);

    public string Description => description;

    public static ReplayBaseline Create(ModelSpec spec)
    {
        spec.RequireKnownOptions("file", "samples");
        if (!spec.Options.TryGetValue("file", out var file) || file.Trim().Length == 0)
            throw new ModelSpecException($"model spec '{spec.Text}': option file=PATH (a responses file in HalluQA's format) is required");
        var samples = spec.Options.TryGetValue("samples", out var list)
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(f => HalluQaResponseFile.Load(spec, "samples", f)).ToList()
            : [];
        var description = $"baseline replay of {Path.GetFileName(file)}" + (samples.Count > 0 ? $", samples from {samples.Count} file(s)" : "") + " (no engine)";
        return ReplayOutputFile.IsJsonLines(file)
            ? new ReplayBaseline(null, ReplayOutputFile.Load(spec, file), samples, description)
            : new ReplayBaseline(HalluQaResponseFile.Load(spec, "file", file), null, samples, description);
    }

    /// <summary>
    /// At submission, for a JSON Lines file: every line must name a task of the run and an evaluation item of that task
    /// (else <see cref="ModelSpecException"/> naming each bad line); the run's items without a line are reported to
    /// <paramref name="warn"/> (they will be errors). Nothing to check for other specs.
    /// </summary>
    /// <param name="tasks">The run's tasks in order: full name, the ids of its evaluation items, and how many of them the run asks.</param>
    public static void CheckSuite(ModelSpec spec, string suite, IReadOnlyList<(string Task, IReadOnlyList<string> ItemIds, int Asked)> tasks, Action<string>? warn)
    {
        if (spec.Scheme != BaselineBackend.Scheme || spec.Target != Target || !spec.Options.TryGetValue("file", out var file) || !ReplayOutputFile.IsJsonLines(file))
            return;
        var outputs = ReplayOutputFile.Load(spec, file);
        outputs.CheckAgainst(spec, suite, tasks.ToDictionary(t => t.Task, t => (IReadOnlySet<string>)t.ItemIds.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal));
        var missing = tasks.SelectMany(t => t.ItemIds.Take(t.Asked).Where(id => !outputs.Outputs.ContainsKey((t.Task, id))).Select(id => $"{t.Task} {id}")).ToList();
        if (missing.Count > 0)
            warn?.Invoke($"{file}: no line for {missing.Count} item(s) of the run ({string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}); " +
                "they will be errors (no output in replay file) and the run incomplete");
    }

    public Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        if (request.Sample is null || samples.Count == 0)
        {
            if (lines is not null)
                return lines.Outputs.TryGetValue((request.Task.TaskName, request.ItemId), out var output)
                    ? Task.FromResult(new Generation(request.Sample is { } n && output.Samples is { Count: > 0 } sampled ? sampled[n % sampled.Count] : output.Output, 0, 0, "stop"))
                    : throw new InvalidOperationException($"no output in replay file {lines.Path} for task '{request.Task.TaskName}' item '{request.ItemId}'");
        }
        var source = request.Sample is { } k && samples.Count > 0 ? samples[k % samples.Count] : main!;
        if (!source.ById.TryGetValue(request.ItemId, out var answer))
            throw new InvalidOperationException($"baseline:replay has no response for question_id '{request.ItemId}'");
        return Task.FromResult(new Generation(answer.Response, 0, 0, "stop"));
    }

    public Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("baseline:replay only generates");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
