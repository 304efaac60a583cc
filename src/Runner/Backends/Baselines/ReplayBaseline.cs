using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// <c>baseline:replay?file=RESPONSES[&amp;samples=FILE1,FILE2…]</c>: answers each item with the response a responses
/// file in HalluQA's format records for its id (<c>question_id</c>), so that published model outputs (HalluQA's
/// <c>gpt-4-0613_responses.json</c>) run through the whole pipeline. SelfCheck samples (requests with a sample index
/// <c>n</c>) are answered from <c>samples</c> file <c>n mod count</c> (other models' answers to the same question:
/// a deterministic stand-in for sampling), or with the main response when no samples file is given. An id the file
/// lacks is an error for that item.
/// </summary>
internal sealed class ReplayBaseline(HalluQaResponseFile main, IReadOnlyList<HalluQaResponseFile> samples, string description) : IModelBackend
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
        return new ReplayBaseline(HalluQaResponseFile.Load(spec, "file", file), samples,
            $"baseline replay of {Path.GetFileName(file)}" + (samples.Count > 0 ? $", samples from {samples.Count} file(s)" : "") + " (no engine)");
    }

    public Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        var source = request.Sample is { } n && samples.Count > 0 ? samples[n % samples.Count] : main;
        if (!source.ById.TryGetValue(request.ItemId, out var answer))
            throw new InvalidOperationException($"baseline:replay has no response for question_id '{request.ItemId}'");
        return Task.FromResult(new Generation(answer.Response, 0, 0, "stop"));
    }

    public Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("baseline:replay only generates");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
