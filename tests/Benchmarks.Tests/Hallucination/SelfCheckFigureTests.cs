using System.Text.Json;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Statistics;
using Xunit.Abstractions;

namespace Evals.Benchmarks.Tests.Hallucination;

/// <summary>
/// The n-gram SelfCheck signal on HalluQA's shipped outputs: GPT-4-0613's answer scored against Qwen-14B-chat's answer
/// to the same question (a second "sample"), and its AUROC against GPT-4's recorded verdict, pinned to an independent
/// Python computation (its own NFKC/punctuation stripping, clipped bigram counts, and the pairwise AUROC definition
/// over all 211 × 239 pairs). The value is below one half: another model's answer is not a sample of GPT-4's, and on
/// HalluQA's hard items both models tend to make the same mistakes, so disagreement does not mark GPT-4's errors.
/// </summary>
public class SelfCheckFigureTests(ITestOutputHelper output)
{
    [SharedDatasetsFact("halluqa")]
    public void Ngram_inconsistency_with_another_models_answer_against_gpt4s_verdicts_equals_an_independent_computation()
    {
        var folder = SharedDatasets.Get("halluqa");
        var generation = Path.Combine(folder, "Chinese_LLMs_outputs", "open_generation");
        using var gpt4 = JsonDocument.Parse(File.ReadAllText(Path.Combine(generation, "gpt-4-0613_output_qa_prompt.json")));
        using var qwen = JsonDocument.Parse(File.ReadAllText(Path.Combine(generation, "qwen-14b-chat_output_qa_prompt.json")));
        var qwenById = qwen.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("question_id").ToString(), e => e.GetProperty("response").GetString()!);
        var scores = new List<double>();
        var hallucinated = new List<bool>();
        foreach (var entry in gpt4.RootElement.EnumerateArray())
        {
            var answer = entry.GetProperty("response").GetString()!;
            scores.Add(NgramConsistency.HallucinationLikelihood(answer, [qwenById[entry.GetProperty("question_id").ToString()]]));
            hallucinated.Add(entry.GetProperty("is_hallucination").GetBoolean());
        }
        Assert.Equal(450, scores.Count);
        var auroc = Auroc.Compute(scores, hallucinated);
        output.WriteLine($"AUROC of bigram inconsistency (GPT-4 answer vs Qwen-14B-chat answer) against GPT-4's verdict: {auroc:0.0000} over 450 items");
        Assert.Equal(211, hallucinated.Count(h => h));
        Assert.Equal(0.42760118185964424, auroc, 12);
    }
}
