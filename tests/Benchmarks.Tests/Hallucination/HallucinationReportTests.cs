using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Tests.Hallucination;

public class HallucinationReportTests
{
    [Fact]
    public void Rates_per_kind_divide_by_every_item_asked_and_unjudged_is_never_a_pass()
    {
        HallucinationItem[] items =
        [
            new("misleading", false, Outcome.Correct, false),
            new("misleading", false, Outcome.Wrong, false),
            new("misleading", false, Outcome.Unjudged, false),
            new("knowledge", false, Outcome.Correct, false),
            new("knowledge", true, Outcome.Correct, true),
            new("knowledge", true, Outcome.Wrong, false),
            new("knowledge", false, Outcome.Error, false),
        ];
        var report = HallucinationReport.Compute(items);
        // A miss is a miss (HalluQA's script counts an invalid judgement as not passing): 3 passed of the 6 asked, the
        // error item (model never reached) left out. Wilson 95% by hand, (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n).
        Assert.Equal(new Rate(50, 18.7616, 81.2384, 6), report.Overall.NonHallucination);
        Assert.Equal(33.3333, report.Overall.Hallucination.Value);
        Assert.Equal(1, report.Overall.Unjudged);
        Assert.Equal(33.3333, report.Kinds["misleading"].NonHallucination.Value);
        Assert.Equal(3, report.Kinds["misleading"].NonHallucination.N);
        Assert.Equal(1, report.Kinds["misleading"].Unjudged);
        Assert.Equal(66.6667, report.Kinds["knowledge"].NonHallucination.Value);
        Assert.Equal(3, report.Kinds["knowledge"].NonHallucination.N);
        Assert.Equal(new Rate(50, 9.4531, 90.5469, 2), report.RefusalOnUnanswerable);
        Assert.Null(report.SelfCheck);
    }

    [Fact]
    public void Selfcheck_auroc_is_against_the_judge_verdict()
    {
        HallucinationItem[] items =
        [
            new("knowledge", false, Outcome.Wrong, false, NgramLikelihood: 0.9, JudgeLikelihood: 1),
            new("knowledge", false, Outcome.Wrong, false, NgramLikelihood: 0.4, JudgeLikelihood: 0.5),
            new("knowledge", false, Outcome.Correct, false, NgramLikelihood: 0.4, JudgeLikelihood: 0),
            new("knowledge", false, Outcome.Correct, false, NgramLikelihood: 0.1, JudgeLikelihood: 0),
            new("knowledge", false, Outcome.Unjudged, false, NgramLikelihood: 0.0),
        ];
        var selfCheck = HallucinationReport.Compute(items).SelfCheck!;
        Assert.Equal(4, selfCheck.N);
        // Hallucinated 0.9, 0.4 vs not 0.4, 0.1: pairs 1 + 1 + ½ + 1 = 3.5 of 4.
        Assert.Equal(0.875, selfCheck.AurocNgram);
        Assert.Equal(1.0, selfCheck.AurocJudge);
        Assert.Equal(0.45, selfCheck.MeanNgramLikelihood, 9);
    }
}
