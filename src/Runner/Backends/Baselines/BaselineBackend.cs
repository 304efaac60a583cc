using System.Security.Cryptography;
using System.Text;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// Deterministic reference models that need no engine: <c>random</c> (uniform over the choices, seeded per item so a
/// resumed run draws the same answers), <c>majority</c> (the most frequent answer of the task's few-shot split) and
/// <c>first</c> (always the first choice). They give leaderboards their chance lines. <c>say?text=…&amp;token_ms=N</c>
/// answers every prompt with the given text, one character per token, N ms apart: a model for arena and streaming drills;
/// with <c>heard=1</c> the answer starts with how many turns of conversation it was given (〔3〕 for a first answer, a
/// reply and a follow-up), so a test can see the whole conversation reach the model.
/// </summary>
public sealed class BaselineBackend : IStreamingModelBackend
{
    public const string Scheme = "baseline";
    private readonly string _kind;
    private readonly int _seed;
    private readonly TimeSpan _delay;
    private readonly string _text;
    private readonly TimeSpan _tokenDelay;

    private readonly bool _heard;

    private BaselineBackend(string kind, int seed, TimeSpan delay, string text = "", TimeSpan tokenDelay = default, bool heard = false)
    {
        _heard = heard;
        _kind = kind;
        _seed = seed;
        _delay = delay;
        _text = text;
        _tokenDelay = tokenDelay;
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
            case PairJudgeBaseline.Target:
                return PairJudgeBaseline.Create(spec);
            case GraderBaseline.Target:
                return GraderBaseline.Create(spec);
            case ReplayBaseline.Target:
                return ReplayBaseline.Create(spec);
            case "random":
                spec.RequireKnownOptions("seed", "delay_ms");
                break;
            case "majority" or "first":
                spec.RequireKnownOptions("delay_ms");
                break;
            case "say":
                spec.RequireKnownOptions("text", "token_ms", "delay_ms", "heard");
                if (!spec.Options.TryGetValue("text", out var text) || text.Length == 0)
                    throw new ModelSpecException($"model spec '{spec.Text}': option 'text' is required by baseline:say (URL-encoded answer text)");
                return new BaselineBackend(spec.Target, 0, TimeSpan.FromMilliseconds(spec.GetInt("delay_ms", 0, 0, 600_000)), text,
                    TimeSpan.FromMilliseconds(spec.GetInt("token_ms", 0, 0, 10_000)), spec.GetInt("heard", 0, 0, 1) == 1);
            default:
                throw new ModelSpecException($"model spec '{spec.Text}': unknown baseline '{spec.Target}'; known baselines: random, majority, first, judge, pairjudge, grader, replay, say");
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

    public Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        GenerateAsync(request, _ => { }, cancellationToken);

    public async Task<Generation> GenerateAsync(GenerateRequest request, Action<string> onText, CancellationToken cancellationToken = default)
    {
        await DelayAsync(cancellationToken);
        if (_kind == "say") return await SayAsync(request, onText, cancellationToken);
        var choices = request.Choices ?? [];
        if (choices.Count == 0) return new Generation("", 0, 0, "stop");
        return new Generation(choices[Pick(request.Task, request.ItemId, choices.Count)], 0, 0, "stop");
    }

    private async Task<Generation> SayAsync(GenerateRequest request, Action<string> onText, CancellationToken cancellationToken)
    {
        var tokens = new List<string>();
        var text = _heard ? $"〔{request.Turns().Count}〕{_text}" : _text;
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext()) tokens.Add(elements.GetTextElement());
        var count = Math.Min(tokens.Count, request.Decoding.MaxTokens);
        for (var i = 0; i < count; i++)
        {
            if (_tokenDelay > TimeSpan.Zero) await Task.Delay(_tokenDelay, cancellationToken);
            onText(tokens[i]);
        }
        var finish = count < tokens.Count ? "length" : "stop";
        return new Generation(string.Concat(tokens.Take(count)), request.Prompt.Length, count, finish);
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
