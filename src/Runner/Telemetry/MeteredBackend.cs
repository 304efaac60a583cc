using System.Diagnostics;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Telemetry;

/// <summary>What a model call's spans and metrics say about the model (GenAI conventions) and the run.</summary>
/// <param name="Provider">The spec's scheme (<c>openai</c>, <c>onnx</c>, <c>baseline</c>): <c>gen_ai.provider.name</c> and the older <c>gen_ai.system</c>.</param>
/// <param name="Model">The model asked for: the endpoint's model name, else the registered name.</param>
public sealed record ModelCallTags(string Provider, string Model, Guid RunId)
{
    public static ModelCallTags For(ModelSpec spec, string registeredName, Guid runId) =>
        new(spec.Scheme, spec.Options.TryGetValue("model", out var model) && model.Length > 0 ? model : registeredName, runId);
}

/// <summary>
/// One span per model call (<c>chat {model}</c> or <c>text_completion {model}</c>, kind client, a child of the run's job
/// span) and the GenAI latency and token histograms. It wraps the backend outside the response cache, so a cache hit is
/// seen as one (<see cref="CallStats.Cached"/>) and kept out of the latency histogram.
/// </summary>
public sealed class MeteredBackend(IModelBackend inner, ModelCallTags tags) : IModelBackend
{
    public ModelCapabilities Capabilities => inner.Capabilities;

    public string Description => inner.Description;

    public async Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        using var activity = Start("chat", request.ItemId);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var generation = await inner.GenerateAsync(request, cancellationToken);
            Record("chat", activity, started, generation.PromptTokens, generation.CompletionTokens, generation.Stats, generation.FinishReason);
            return generation;
        }
        catch (Exception e)
        {
            Failed("chat", activity, started, e);
            throw;
        }
    }

    public async Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default)
    {
        // Scoring continuations is a completion call with echo and logprobs.
        using var activity = Start("text_completion", request.ItemId);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var scores = await inner.ScoreChoicesAsync(request, cancellationToken);
            Record("text_completion", activity, started, scores.PromptTokens, scores.CompletionTokens, scores.Stats, null);
            return scores;
        }
        catch (Exception e)
        {
            Failed("text_completion", activity, started, e);
            throw;
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private Activity? Start(string operation, string itemId)
    {
        var activity = RunnerTelemetry.Source.StartActivity($"{operation} {tags.Model}", ActivityKind.Client);
        if (activity is null) return null;
        activity.SetTag("gen_ai.operation.name", operation);
        activity.SetTag("gen_ai.request.model", tags.Model);
        activity.SetTag("gen_ai.provider.name", tags.Provider);
        activity.SetTag("gen_ai.system", tags.Provider);
        activity.SetTag(RunnerTelemetry.RunIdTag, tags.RunId.ToString());
        activity.SetTag("evals.item_id", itemId);
        return activity;
    }

    private TagList Common(string operation) => new()
    {
        { "gen_ai.operation.name", operation },
        { "gen_ai.request.model", tags.Model },
        { "gen_ai.provider.name", tags.Provider },
        { "gen_ai.system", tags.Provider },
    };

    private void Record(string operation, Activity? activity, long started, int inputTokens, int outputTokens, CallStats? stats, string? finishReason)
    {
        var common = Common(operation);
        activity?.SetTag("gen_ai.usage.input_tokens", inputTokens);
        activity?.SetTag("gen_ai.usage.output_tokens", outputTokens);
        if (finishReason is not null) activity?.SetTag("gen_ai.response.finish_reasons", new[] { finishReason });
        if (stats?.Cached == true)
        {
            activity?.SetTag("evals.cached", true);
            RunnerTelemetry.CacheHits.Add(1, common);
            return;
        }
        RunnerTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, common);
        var input = common;
        input.Add("gen_ai.token.type", "input");
        RunnerTelemetry.TokenUsage.Record(inputTokens, input);
        var output = common;
        output.Add("gen_ai.token.type", "output");
        RunnerTelemetry.TokenUsage.Record(outputTokens, output);
    }

    /// <summary>The conventions record failed calls' duration too, told apart by <c>error.type</c>.</summary>
    private void Failed(string operation, Activity? activity, long started, Exception e)
    {
        var type = e is ModelRefusedException ? "refused" : e is OperationCanceledException ? "cancelled" : e.GetType().FullName ?? "error";
        activity?.SetStatus(ActivityStatusCode.Error, e.Message);
        activity?.SetTag("error.type", type);
        var failed = Common(operation);
        failed.Add("error.type", type);
        RunnerTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, failed);
    }
}
