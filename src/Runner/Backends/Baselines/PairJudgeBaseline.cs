using System.Globalization;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// <c>baseline:pairjudge?prefer=A|B|longer|shorter|labels[&amp;labels=DIR&amp;wrong_every=N]</c>: a deterministic pairwise
/// judge for tests and dry runs. It reads the prompt <see cref="PairwiseJudgePrompt"/> builds and replies in FastChat's
/// verdict form (<c>[[A]]</c>, <c>[[B]]</c>, <c>[[C]]</c>):
/// <list type="bullet">
/// <item><c>prefer=A</c> / <c>prefer=B</c>: always the answer in that position, whatever it says (the most
/// position-biased judge there is: judged in both orders, every verdict flips).</item>
/// <item><c>prefer=longer</c> / <c>shorter</c>: the longer (shorter) answer in characters, a tie when equal.</item>
/// <item><c>prefer=labels</c> with <c>labels=DIR</c> (PRD's human votes, <see cref="PairwiseLabels"/>, answers as its
/// placeholders): for a labelled pair, the votes' most frequent choice (a tie between choices is a tie), named by
/// position wherever the two answers are shown; with <c>wrong_every=N</c> the labelled items whose index is a multiple
/// of N get the other answer instead (model1 ↔ model2, a tie → model1): a judge of known agreement.</item>
/// </list>
/// A prompt that is not a pairwise judge prompt, or an unlabelled pair under <c>prefer=labels</c>, gets no verdict.
/// </summary>
internal sealed class PairJudgeBaseline(string prefer, IReadOnlyDictionary<(string, string, string), PairwiseLabelItem>? labels, int wrongEvery, string description) : IModelBackend
{
    public const string Target = "pairjudge";
    public const string NoVerdict = "这两个回答我无法比较。";

    public ModelCapabilities Capabilities { get; } = new(LogLikelihood: false, Generate: true, MaxConcurrency: 8);

    public string Description => description;

    public static PairJudgeBaseline Create(ModelSpec spec)
    {
        spec.RequireKnownOptions("prefer", "labels", "wrong_every");
        var prefer = spec.Options.GetValueOrDefault("prefer", "longer");
        if (prefer is not ("A" or "B" or "longer" or "shorter" or "labels"))
            throw new ModelSpecException($"model spec '{spec.Text}': option prefer='{prefer}' must be A, B, longer, shorter or labels");
        var wrongEvery = spec.GetInt("wrong_every", 0, 0, 1_000_000);
        Dictionary<(string, string, string), PairwiseLabelItem>? byPair = null;
        if (prefer == "labels")
        {
            if (!spec.Options.TryGetValue("labels", out var path) || path.Length == 0)
                throw new ModelSpecException($"model spec '{spec.Text}': prefer=labels needs labels=DIR (PRD's ratings-human folder or one of its files)");
            try
            {
                byPair = [];
                foreach (var item in PairwiseLabels.Read(path)) byPair.TryAdd((item.Question, item.Answer1, item.Answer2), item);
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                throw new ModelSpecException($"model spec '{spec.Text}': option labels: {e.Message}");
            }
        }
        else if (spec.Options.ContainsKey("labels") || wrongEvery > 0)
            throw new ModelSpecException($"model spec '{spec.Text}': labels and wrong_every go with prefer=labels only");
        return new PairJudgeBaseline(prefer, byPair, wrongEvery,
            string.Create(CultureInfo.InvariantCulture, $"baseline pairwise judge (prefers {prefer}{(wrongEvery > 0 ? $", wrong on every {wrongEvery}th labelled item" : "")}; no engine)"));
    }

    public Task<Generation> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        if (PairwiseJudgePrompt.Read(request.Prompt) is not var (question, a, b)) return Reply(NoVerdict);
        return Reply(prefer switch
        {
            "A" => "助手 A 的回答在前。[[A]]",
            "B" => "助手 B 的回答在后。[[B]]",
            "longer" => a.Length == b.Length ? "两个回答一样长。[[C]]" : a.Length > b.Length ? "助手 A 的回答更长。[[A]]" : "助手 B 的回答更长。[[B]]",
            "shorter" => a.Length == b.Length ? "两个回答一样长。[[C]]" : a.Length < b.Length ? "助手 A 的回答更短。[[A]]" : "助手 B 的回答更短。[[B]]",
            _ => FromLabels(question, a, b),
        });
    }

    private string FromLabels(string question, string a, string b)
    {
        bool model1First;
        if (labels!.TryGetValue((question, a, b), out var item)) model1First = true;
        else if (labels.TryGetValue((question, b, a), out item)) model1First = false;
        else return NoVerdict;
        var counts = new int[3];
        foreach (var vote in item.Votes) counts[(int)vote]++;
        var max = counts.Max();
        var choice = counts.Count(c => c == max) > 1 ? PairwiseVerdict.Tie : (PairwiseVerdict)Array.IndexOf(counts, max);
        if (wrongEvery > 0 && item.Index % wrongEvery == 0)
            choice = choice == PairwiseVerdict.A ? PairwiseVerdict.B : PairwiseVerdict.A;
        return choice switch
        {
            PairwiseVerdict.Tie => "依据记录的人工投票：两者相当。[[C]]",
            PairwiseVerdict.A => model1First ? "依据记录的人工投票。[[A]]" : "依据记录的人工投票。[[B]]",
            _ => model1First ? "依据记录的人工投票。[[B]]" : "依据记录的人工投票。[[A]]",
        };
    }

    private static Task<Generation> Reply(string text) => Task.FromResult(new Generation(text, 0, 0, "stop"));

    public Task<ChoiceScores> ScoreChoicesAsync(ChoiceRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("baseline:pairjudge only generates");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
