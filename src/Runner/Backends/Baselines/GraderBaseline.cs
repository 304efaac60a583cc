using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// <c>baseline:grader[?by=hash|length&amp;seed=N&amp;garbage_every=N]</c>: a deterministic single-grading judge for tests
/// and dry runs. It reads the answer out of an AlignBench or MT-Bench judge prompt (<see cref="Benchmarks.Judging.SingleGradePrompts"/>)
/// and grades it 1–10: <c>by=hash</c> (default) from a SHA-256 of the seed and the answer, <c>by=length</c> as
/// 1 + (characters / 20), at most 10. It answers in the form the prompt asks for: AlignBench's rating dict (every dimension
/// the prompt lists, graded the same way from the dimension's name and the answer) or FastChat's <c>Rating: [[n]]</c>.
/// <c>garbage_every=N</c>: items whose id is a multiple of N (other ids: by a SHA-256 of the id) get a reply with no
/// rating, as a confused judge would give. A prompt that is not a grading prompt gets no rating either.
/// </summary>
internal sealed partial class GraderBaseline(bool byLength, int seed, int garbageEvery, string description) : IModelBackend
{
    public const string Target = "grader";
    public const string Garbage = "This answer reminds me of many things; I would rather not say.";

    public ModelCapabilities Capabilities { get; } = new(LogLikelihood: false, Generate: true, MaxConcurrency: 8);

    public string Description => description;

    public static GraderBaseline Create(ModelSpec spec)
    {
        spec.RequireKnownOptions("by", "seed", "garbage_every");
        var byLength = spec.Options.GetValueOrDefault("by", "hash") switch
        {
            "hash" => false,
            "length" => true,
            var other => throw new ModelSpecException($"model spec '{spec.Text}': option by='{other}' must be hash or length"),
        };
        var seed = spec.GetInt("seed", 0);
        var garbage = spec.GetInt("garbage_every", 0, 0, 1_000_000);
        return new GraderBaseline(byLength, seed, garbage, string.Create(CultureInfo.InvariantCulture,
            $"baseline grader (grades by {(byLength ? "length" : $"hash, seed {seed}")}{(garbage > 0 ? $", no rating every {garbage} items" : "")}; no engine)"));
    }

    /// <summary>The grade this judge gives <paramref name="answer"/> (tests recompute it).</summary>
    public int Grade(string answer, string salt = "") =>
        byLength ? Math.Min(10, 1 + new StringInfo(answer).LengthInTextElements / 20)
            : 1 + (int)(BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{salt}\n{answer}"))) % 10);

    public Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        var prompt = request.Messages is { Count: > 0 } messages ? messages[^1].Content : request.Prompt;
        if (garbageEvery > 0 && JudgeBaseline.IsGarbageItem(request.ItemId, garbageEvery)) return Reply(Garbage);
        if (Between(prompt, "[助手的答案开始]\n", "\n[助手的答案结束]") is { } alignAnswer)
        {
            var end = prompt.IndexOf("我们会提供", StringComparison.Ordinal);
            var dimensions = DimensionLine().Matches(end >= 0 ? prompt[..end] : prompt);
            var reply = new StringBuilder("与参考答案比较后，逐维度评价如下。\n{");
            foreach (Match dimension in dimensions)
                reply.Append('\'').Append(dimension.Groups["name"].Value).Append("': ").Append(Grade(alignAnswer, dimension.Groups["name"].Value)).Append(", ");
            reply.Append("'综合得分': ").Append(Grade(alignAnswer)).Append('}');
            return Reply(reply.ToString());
        }
        var answer = Between(prompt, "[The Start of Assistant's Answer]\n", "\n[The End of Assistant's Answer]")
            ?? LastBetween(prompt, "### Assistant A:\n", "\n\n<|The End of Assistant A's Conversation with User|>");
        return Reply(answer is null ? "This is not a grading prompt." : $"The response was read with care.\n\nRating: [[{Grade(answer)}]]");
    }

    private static string? Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        if (from < 0) return null;
        from += start.Length;
        var to = text.LastIndexOf(end, StringComparison.Ordinal);
        return to >= from ? text[from..to] : null;
    }

    private static string? LastBetween(string text, string start, string end)
    {
        var to = text.LastIndexOf(end, StringComparison.Ordinal);
        if (to < 0) return null;
        var from = text.LastIndexOf(start, to, StringComparison.Ordinal);
        return from < 0 ? null : text[(from + start.Length)..to];
    }

    [GeneratedRegex(@"(?m)^\d+\. (?<name>[^:\n]+): ")]
    private static partial Regex DimensionLine();

    private static Task<Generation> Reply(string text) => Task.FromResult(new Generation(text, 0, 0, "stop"));

    public Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("baseline:grader only generates");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
