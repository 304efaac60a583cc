using System.Security.Cryptography;
using System.Text;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// Deterministic reference models that need no engine: <c>random</c> (uniform over the choices, seeded per item so a
/// resumed run draws the same answers), <c>majority</c> (the most frequent answer of the task's few-shot split) and
/// <c>first</c> (always the first choice). They give leaderboards their chance lines.
/// </summary>
public sealed class BaselineBackend : IModelBackend
{
    public const string Scheme = "baseline";
    private readonly string _kind;
    private readonly int _seed;
    private readonly TimeSpan _delay;

    private BaselineBackend(string kind, int seed, TimeSpan delay)
    {
        _kind = kind;
        _seed = seed;
        _delay = delay;
    }

    public ModelCapabilities Capabilities { get; } = new(LogLikelihood: true, Generate: true, MaxConcurrency: 8);

    public string Description => $"baseline {_kind} (no engine)";

    /// <summary>Validates the spec; throws <see cref="ModelSpecException"/> naming what is wrong.</summary>
    public static IModelBackend Create(ModelSpec spec)
    {
        switch (spec.Target)
        {
            case JudgeBaseline.Target:
                return JudgeBaseline.Create(spec);
            case ReplayBaseline.Target:
                return ReplayBaseline.Create(spec);
            case "random":
                spec.RequireKnownOptions("seed", "delay_ms");
                break;
            case "majority" or "first":
                spec.RequireKnownOptions("delay_ms");
                break;
            default:
                throw new ModelSpecException($"model spec '{spec.Text}': unknown baseline '{spec.Target}'; known baselines: random, majority, first, judge, replay");
        }
        return new BaselineBackend(spec.Target, spec.GetInt("seed", 0), TimeSpan.FromMilliseconds(spec.GetInt("delay_ms", 0, 0, 600_000)));
    }

    public async Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default)
    {
        await DelayAsync(cancellationToken);
        var pick = Pick(request.Task, request.ItemId, request.Continuations.Count);
        var scores = Enumerable.Range(0, request.Continuations.Count).Select(i => i == pick ? 0.0 : -1.0).ToList();
        return new ChoiceScores(scores, PromptTokens: 0);
    }

    public async Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        await DelayAsync(cancellationToken);
        var choices = request.Choices ?? [];
        if (choices.Count == 0) return new Generation("", 0, 0, "stop");
        return new Generation(choices[Pick(request.Task, request.ItemId, choices.Count)], 0, 0, "stop");
    }

    private int Pick(TaskContext task, string itemId, int count) => _kind switch
    {
        "first" => 0,
        "majority" => task.MajorityChoice is { } m && m < count ? m : 0,
        _ => (int)(BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{_seed}\n{task.TaskName}\n{itemId}"))) % (ulong)count),
    };

    private Task DelayAsync(CancellationToken cancellationToken) =>
        _delay > TimeSpan.Zero ? Task.Delay(_delay, cancellationToken) : Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
