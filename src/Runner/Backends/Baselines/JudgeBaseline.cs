using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// <c>baseline:judge[?threshold=0.5&amp;labels=FILE&amp;garbage_every=N&amp;invert=true]</c>: a deterministic judge for
/// tests and dry runs. It reads the prompt <see cref="HallucinationJudgePrompt"/> builds (question, numbered reference
/// answers, the answer; or, for SelfCheck, a sampled answer as the one reference) and answers in the verdict form:
/// <list type="number">
/// <item><c>garbage_every=N</c>: items whose id is a multiple of N (ids that are not integers: by a SHA-256 of the id)
/// get a reply with no verdict, as a confused judge would give.</item>
/// <item><c>labels=FILE</c> (judged outputs in HalluQA's format): where the file labels this item and its response
/// is the answer being judged, the label is the verdict (a replay of the recorded judge).</item>
/// <item>Otherwise by rule: an answer that says it cannot be known is not hallucinated exactly when a reference says so
/// too; any other answer is not hallucinated when its character-bigram support by the best-matching reference
/// (<see cref="NgramConsistency.Support"/>) reaches <c>threshold</c>.</item>
/// </list>
/// <c>invert=true</c> flips every verdict: a judge that disagrees with its labels, for the judge-check refusal.
/// A prompt that is not a judge prompt gets no verdict.
/// </summary>
internal sealed partial class JudgeBaseline(double threshold, HalluQaResponseFile? labels, int garbageEvery, bool invert, string description) : IModelBackend
{
    public const string Target = "judge";
    public const string Garbage = "嗯……这个回答让我想起了很多事情。";

    public ModelCapabilities Capabilities { get; } = new(LogLikelihood: false, Generate: true, MaxConcurrency: 8);

    public string Description => description;

    public static JudgeBaseline Create(ModelSpec spec)
    {
        spec.RequireKnownOptions("threshold", "labels", "garbage_every", "invert");
        var threshold = spec.GetDouble("threshold", 0.5, 0, 1);
        var garbage = spec.GetInt("garbage_every", 0, 0, 1_000_000);
        var invert = spec.Options.GetValueOrDefault("invert", "false") switch
        {
            "true" => true,
            "false" => false,
            var other => throw new ModelSpecException($"model spec '{spec.Text}': option invert='{other}' must be true or false"),
        };
        var labels = spec.Options.TryGetValue("labels", out var file) ? HalluQaResponseFile.Load(spec, "labels", file) : null;
        return new JudgeBaseline(threshold, labels, garbage, invert,
            string.Create(CultureInfo.InvariantCulture, $"baseline judge (bigram support ≥ {threshold}{(labels is null ? "" : ", labels replayed")}{(invert ? ", inverted" : "")}; no engine)"));
    }

    public Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        if (garbageEvery > 0 && IsGarbageItem(request.ItemId, garbageEvery)) return Reply(Garbage);
        if (Parse(request.Prompt) is not { } parsed) return Reply("这不是一个需要判断的问题。");
        var (hallucinated, why) = Decide(request.ItemId, parsed);
        if (invert) hallucinated = !hallucinated;
        return Reply($"{why}\n{HallucinationJudgePrompt.VerdictLabel}：{(hallucinated ? HallucinationJudgePrompt.Hallucinated : HallucinationJudgePrompt.NotHallucinated)}");
    }

    /// <summary>Whether <c>garbage_every=N</c> makes this item's reply unreadable.</summary>
    public static bool IsGarbageItem(string itemId, int every) =>
        long.TryParse(itemId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number % every == 0
            : BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(itemId))) % (ulong)every == 0;

    private (bool Hallucinated, string Why) Decide(string itemId, JudgePromptParts parts)
    {
        if (!parts.Consistency && labels is not null && labels.ById.TryGetValue(itemId, out var label) && label.Hallucinated is { } recorded
            && label.Response.Trim() == parts.Answer)
            return (recorded, "依据：记录的评审结果。");
        if (RefusalDetector.SaysCannotKnow(parts.Answer))
        {
            var expected = parts.References.Any(RefusalDetector.SaysCannotKnow);
            return (!expected, expected ? "依据：正确答案示例也表示无法得知。" : "依据：回答表示无法得知，但问题有明确答案。");
        }
        var support = parts.References.Max(r => NgramConsistency.Support(parts.Answer, r));
        return (support < threshold, string.Create(CultureInfo.InvariantCulture, $"依据：与正确答案示例的字符二元组重合度为 {support:0.00}。"));
    }

    private sealed record JudgePromptParts(IReadOnlyList<string> References, string Answer, bool Consistency);

    private static JudgePromptParts? Parse(string prompt)
    {
        var end = prompt.LastIndexOf("\n\n请先简要说明理由", StringComparison.Ordinal);
        if (end < 0) return null;
        var answerAt = prompt.LastIndexOf("问答机器人的回答：\n", end, StringComparison.Ordinal);
        var referencesAt = prompt.IndexOf("正确答案示例：\n", StringComparison.Ordinal);
        if (answerAt > 0 && referencesAt > 0 && referencesAt < answerAt)
        {
            var section = prompt[(referencesAt + "正确答案示例：\n".Length)..answerAt];
            var references = Numbered().Split(section).Select(r => r.Trim()).Where(r => r.Length > 0).ToList();
            var answer = prompt[(answerAt + "问答机器人的回答：\n".Length)..end].Trim();
            return references.Count == 0 ? null : new JudgePromptParts(references, answer, Consistency: false);
        }
        var sampleAt = prompt.IndexOf("参考回答：\n", StringComparison.Ordinal);
        var mainAt = prompt.LastIndexOf("待判断的回答：\n", end, StringComparison.Ordinal);
        if (sampleAt > 0 && mainAt > sampleAt)
            return new JudgePromptParts([prompt[(sampleAt + "参考回答：\n".Length)..mainAt].Trim()], prompt[(mainAt + "待判断的回答：\n".Length)..end].Trim(), Consistency: true);
        return null;
    }

    [GeneratedRegex(@"(?m)^\d+\. ")]
    private static partial Regex Numbered();

    private static Task<Generation> Reply(string text) => Task.FromResult(new Generation(text, 0, 0, "stop"));

    public Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("baseline:judge only generates");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
