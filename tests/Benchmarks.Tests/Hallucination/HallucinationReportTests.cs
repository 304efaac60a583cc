using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Suites;

namespace Evals.Benchmarks.Tests.Hallucination;

public class HallucinationReportTests
{
    [Fact]
    public void Rates_divide_by_every_item_asked_so_unjudged_is_never_a_pass_and_errors_stay_out()
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
        // 3 passed of the 6 asked (the unjudged one counts as a miss; the error item was never asked).
        Assert.Equal(new Rate(50, Round(3, 6).Low, Round(3, 6).High, 6), report.Overall.NonHallucination);
        Assert.Equal(100 * 2.0 / 6, report.Overall.Hallucination.Value, 3);
        Assert.Equal(1, report.Overall.Unjudged);
        Assert.Equal(100 / 3.0, report.Kinds["misleading"].NonHallucination.Value, 3);
        Assert.Equal(3, report.Kinds["misleading"].NonHallucination.N);
        Assert.Equal(1, report.Kinds["misleading"].Unjudged);
        Assert.Equal(100 * 2.0 / 3, report.Kinds["knowledge"].NonHallucination.Value, 3);
        Assert.Equal(new Rate(50, Round(1, 2).Low, Round(1, 2).High, 2), report.RefusalOnUnanswerable);
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

    private static (double Low, double High) Round(int hits, int n)
    {
        var (low, high) = Evals.Benchmarks.Statistics.WilsonInterval.Compute(hits, n);
        return (Math.Round(low, 4), Math.Round(high, 4));
    }
}
