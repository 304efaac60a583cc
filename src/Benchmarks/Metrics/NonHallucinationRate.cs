namespace Evals.Benchmarks.Metrics;

/// <summary>
/// HalluQA's metric: the share of answers a judge finds free of hallucination (OpenMOSS/HalluQA
/// <c>calculate_metrics.py</c>), 0–100, higher is better; the hallucination rate is its complement. The interval is
/// Wilson's (<see cref="Statistics.WilsonInterval"/>); the full report is <see cref="Hallucination.HallucinationReport"/>.
/// </summary>
public static class NonHallucinationRate
{
    public const string Name = "non_hallucination_rate";

    public static readonly MetricInfo Info = new(Name, Aggregation.Mean, HigherIsBetter: true,
        "share of answers the judge finds not hallucinated, among the items it judged");
}
