using Evals.Benchmarks.Statistics;
using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Hallucination;

/// <summary>What the report needs of one judged item.</summary>
/// <param name="Refusal">The answer declined or said it cannot be known (<see cref="RefusalDetector.IsRefusal"/>).</param>
/// <param name="NgramLikelihood">SelfCheck: 1 − n-gram consistency with the samples (0–1), when sampled.</param>
/// <param name="JudgeLikelihood">SelfCheck: share of samples the judge found inconsistent with the answer (0–1), when judged.</param>
public sealed record HallucinationItem(string Kind, bool Unanswerable, Outcome Outcome, bool Refusal, double? NgramLikelihood = null, double? JudgeLikelihood = null);

/// <summary>A rate (0–100) with its 95% Wilson interval over <see cref="N"/> items.</summary>
public sealed record Rate(double Value, double CiLow, double CiHigh, int N)
{
    public static Rate Of(int hits, int n)
    {
        var (low, high) = WilsonInterval.Compute(hits, n);
        return new Rate(n == 0 ? 0 : Math.Round(100.0 * hits / n, 4), Math.Round(low, 4), Math.Round(high, 4), n);
    }
}

/// <summary>One kind's rates: non-hallucination (HalluQA's published figure) and hallucination, over the judged items.</summary>
public sealed record KindRates(Rate NonHallucination, Rate Hallucination, int Unjudged);

/// <summary>SelfCheck: mean likelihoods and the AUROC of each against the judge's verdict (hallucinated = positive).</summary>
public sealed record SelfCheckReport(int N, double MeanNgramLikelihood, double? AurocNgram, double? MeanJudgeLikelihood, double? AurocJudge);

/// <summary>
/// A judged hallucination task's figures. Outcome correct = not hallucinated, wrong = hallucinated. As HalluQA's
/// published non-hallucination rate, every rate divides by every item the model was asked (the official script counts an
/// invalid judgement as not passing): unjudged and refused-by-provider items are never a pass (a miss is a miss), and are
/// counted beside; only error items (the model was never reached) stay out. So non-hallucination + hallucination falls
/// short of 100 by the unjudged and refused share.
/// </summary>
public sealed record HallucinationReport(
    KindRates Overall,
    IReadOnlyDictionary<string, KindRates> Kinds,
    Rate? RefusalOnUnanswerable,
    SelfCheckReport? SelfCheck)
{
    public static HallucinationReport Compute(IReadOnlyList<HallucinationItem> items)
    {
        var kinds = new SortedDictionary<string, KindRates>(StringComparer.Ordinal);
        foreach (var group in items.GroupBy(i => i.Kind)) kinds[group.Key] = Rates(group.ToList());

        var unanswerable = items.Where(i => i.Unanswerable && i.Outcome is Outcome.Correct or Outcome.Wrong or Outcome.Unjudged or Outcome.Refused).ToList();
        var refusal = unanswerable.Count == 0 ? null : Rate.Of(unanswerable.Count(i => i.Refusal || i.Outcome == Outcome.Refused), unanswerable.Count);

        var sampled = items.Where(i => i.NgramLikelihood is not null && i.Outcome is Outcome.Correct or Outcome.Wrong).ToList();
        SelfCheckReport? selfCheck = null;
        if (sampled.Count > 0)
        {
            var hallucinated = sampled.Select(i => i.Outcome == Outcome.Wrong).ToList();
            var judged = sampled.Where(i => i.JudgeLikelihood is not null).ToList();
            selfCheck = new SelfCheckReport(sampled.Count,
                Math.Round(sampled.Average(i => i.NgramLikelihood!.Value), 6),
                Defined(Auroc.Compute(sampled.Select(i => i.NgramLikelihood!.Value).ToList(), hallucinated)),
                judged.Count == 0 ? null : Math.Round(judged.Average(i => i.JudgeLikelihood!.Value), 6),
                judged.Count == 0 ? null : Defined(Auroc.Compute(judged.Select(i => i.JudgeLikelihood!.Value).ToList(), judged.Select(i => i.Outcome == Outcome.Wrong).ToList())));
        }
        return new HallucinationReport(Rates(items), kinds, refusal, selfCheck);
    }

    private static KindRates Rates(IReadOnlyList<HallucinationItem> items)
    {
        var passed = items.Count(i => i.Outcome == Outcome.Correct);
        var failed = items.Count(i => i.Outcome == Outcome.Wrong);
        var asked = items.Count(i => i.Outcome != Outcome.Error);
        return new KindRates(Rate.Of(passed, asked), Rate.Of(failed, asked), items.Count(i => i.Outcome == Outcome.Unjudged));
    }

    private static double? Defined(double value) => double.IsNaN(value) ? null : Math.Round(value, 6);
}
