using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Metrics.Generation;
using Evals.Benchmarks.Statistics;
using Evals.Benchmarks.Suites;

namespace Evals.Runner.Runs;

/// <summary>One stored result as the summary needs it.</summary>
/// <param name="Kind">Judged (hallucination) tasks: the item's kind, from its details.</param>
/// <param name="Group">The item's value of its manifest's <c>breakdown_field</c> (CMATH's grade), from its details.</param>
public sealed record ScoredItem(Outcome Outcome, double Score, string? Parsed, string? Reference, IReadOnlyDictionary<string, double> Numbers, string? Rule,
    string? Kind = null, string? Group = null);

/// <summary>A further metric reported beside a task's main one (acc_norm_chars, circular, f1 …).</summary>
public sealed record MetricSummary(double Score, int N, double CiLow, double CiHigh, string Description);

/// <summary>
/// A task's scores from its stored results, as its benchmark's official scorer defines them: the manifest's metric over
/// every item the model was asked — a miss is a miss, so unparseable and refused items score 0, and only error items
/// (the model was never reached) stay out, making the run incomplete (DESIGN.md, "Outcome of an item") — (accuracy;
/// CMRC 2018's EM/F1 from each item's details; macro-F1 over the confusion matrix), <c>answered_accuracy</c> beside it, a
/// 95% percentile bootstrap interval (1,000 resamples, seed 0, so a summary is reproducible) and n; the other metrics
/// the items carry beside it; the chance level the capability tree normalises against.
/// </summary>
public static class TaskScoring
{
    public const int BootstrapRounds = 1000;

    /// <summary>Correct over correct + wrong: how often the answers the model gave were right, beside the official score.</summary>
    public const string AnsweredAccuracy = "answered_accuracy";

    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        [Accuracy.Name] = Accuracy.Info.Description,
        [AccNormChars.Name] = "accuracy with each choice's log-likelihood normalised by its length in characters (not UTF-8 bytes)",
        [ItemDetails.Circular] = "circular evaluation: an item counts only if every rotation of its options is answered right",
        [Cmrc2018Scorer.Em] = Cmrc2018Scorer.EmInfo.Description,
        [Cmrc2018Scorer.F1Name] = Cmrc2018Scorer.F1Info.Description,
        [MacroF1.Name] = MacroF1.Info.Description,
        [AnsweredAccuracy] = "share of correct answers among the items answered correctly or wrongly (unparseable and refused items left out); not the official score",
        [Rouge.Rouge1Info.Name] = Rouge.Rouge1Info.Description,
        [Rouge.Rouge2Info.Name] = Rouge.Rouge2Info.Description,
        [Rouge.RougeLInfo.Name] = Rouge.RougeLInfo.Description,
        [KeywordPrecision.Name] = KeywordPrecision.Info.Description,
    };

    public static TaskSummary Summarise(string metric, string version, IReadOnlyList<ScoredItem> items)
    {
        // "unjudged" exists only where a judge decides; other tasks keep the five outcomes of DESIGN.md.
        var judged = metric is NonHallucinationRate.Name or PairwiseWinRate.Name or JudgeScore.Name || items.Any(i => i.Outcome == Outcome.Unjudged);
        var outcomes = Enum.GetValues<Outcome>().Where(o => judged || o != Outcome.Unjudged).ToDictionary(o => o.ToName(), _ => 0);
        foreach (var item in items) outcomes[item.Outcome.ToName()]++;
        if (metric == NonHallucinationRate.Name) return SummariseJudged(version, items, outcomes);
        if (metric == PairwiseWinRate.Name) return SummarisePairwise(version, items, outcomes);
        if (metric == CorpusBleu.Name || DistinctN.TryParse(metric, out _)) return SummariseCorpus(metric, version, items, outcomes);
        var (asked, answered) = Asked(items);
        metric = EffectiveMetric(metric, answered);
        var (score, low, high) = metric == MacroF1.Name ? MacroF1Interval(asked) : MeanInterval(asked.Select(i => Value(i, metric)).ToArray());

        var others = new SortedDictionary<string, MetricSummary>(StringComparer.Ordinal);
        if (answered.Count > 0)
        {
            var names = answered.SelectMany(i => i.Numbers.Keys).Where(Descriptions.ContainsKey).Distinct()
                .Where(n => answered.All(i => i.Numbers.ContainsKey(n))).ToList();
            if (metric != Accuracy.Name) names.Add(Accuracy.Name);
            foreach (var (name, corpus) in CorpusMetrics(asked, metric)) others[name] = corpus;
            foreach (var name in names.Where(n => n != metric).Distinct())
            {
                var (s, l, h) = MeanInterval(asked.Select(i => Value(i, name)).ToArray());
                others[name] = new MetricSummary(s, asked.Count, l, h, Descriptions[name]);
            }
            var (a, al, ah) = MeanInterval(answered.Select(i => Value(i, Accuracy.Name)).ToArray());
            others[AnsweredAccuracy] = new MetricSummary(a, answered.Count, al, ah, Descriptions[AnsweredAccuracy]);
        }
        var rules = items.Where(i => i.Rule is not null).GroupBy(i => i.Rule!)
            .ToDictionary(g => g.Key, g => g.Count());
        var withChance = asked.Where(i => i.Numbers.ContainsKey(ItemDetails.Chance)).ToList();
        var chance = metric is Cmrc2018Scorer.Em or Cmrc2018Scorer.F1Name || withChance.Count == 0
            ? 0 : Math.Round(withChance.Average(i => i.Numbers[ItemDetails.Chance]), 4);
        return new TaskSummary(metric, score, asked.Count, low, high, outcomes, version)
        {
            Metrics = others.Count == 0 ? null : others,
            Chance = chance,
            Normalised = asked.Count == 0 ? null : Normalise(score, chance),
            Extraction = rules.Count == 0 ? null : new SortedDictionary<string, int>(rules, StringComparer.Ordinal),
            Signature = others.ContainsKey(CorpusBleu.Name) ? BleuSignature(asked) : null,
            Breakdown = Breakdown(asked, metric),
        };
    }

    /// <summary>A miss is a miss (DESIGN.md): every item the model was asked counts; only error items (no answer at all) do not.</summary>
    private static (List<ScoredItem> Asked, List<ScoredItem> Answered) Asked(IReadOnlyList<ScoredItem> items)
    {
        var asked = items.Where(i => i.Outcome != Outcome.Error).ToList();
        return (asked, asked.Where(i => i.Outcome is Outcome.Correct or Outcome.Wrong).ToList());
    }

    /// <summary>A metric the items do not carry (acc_norm_chars of a generated run) falls back to plain accuracy, named as such.</summary>
    private static string EffectiveMetric(string metric, List<ScoredItem> answered) =>
        metric is not (Accuracy.Name or MacroF1.Name) && answered.Count > 0 && !answered.All(i => i.Numbers.ContainsKey(metric)) ? Accuracy.Name : metric;

    /// <summary>
    /// The task's score recomputed on <paramref name="rounds"/> resamples of its asked items (round r from the stream
    /// (seed, r)), in round order: what the overall score's stratified bootstrap combines across tasks. Same metric and
    /// values as <see cref="Summarise"/>; a judged task resamples its judged items' verdicts.
    /// </summary>
    public static double[] Replicates(string metric, IReadOnlyList<ScoredItem> items, TaskSummary summary, long seed, int rounds = BootstrapRounds)
    {
        if (summary.N == 0) return [];
        if (metric == NonHallucinationRate.Name) return ShareReplicates(summary.N, summary.Score, seed, rounds);
        if (metric == PairwiseWinRate.Name)
            return BootstrapReplicates.Means(PairwiseJudgments(items).Where(j => j.CandidateScore is not null).Select(j => 100 * j.CandidateScore!.Value).ToArray(), rounds, seed);
        if (metric == CorpusBleu.Name) return CorpusBleu.Replicates(BleuItems(Asked(items).Asked), rounds, seed);
        if (DistinctN.TryParse(metric, out var order)) return DistinctN.Replicates(DistinctOutputs(Asked(items).Asked), order, rounds, seed);
        var (asked, answered) = Asked(items);
        metric = EffectiveMetric(metric, answered);
        if (metric != MacroF1.Name) return BootstrapReplicates.Means(asked.Select(i => Value(i, metric)).ToArray(), rounds, seed);
        var (gold, predicted) = MacroF1Labels(asked);
        return BootstrapReplicates.Statistic(asked.Count, idx => MacroF1.Compute(idx.Select(i => gold[i]).ToArray(), idx.Select(i => predicted[i]).ToArray()), rounds, seed);
    }

    /// <summary>A task's own bootstrap seed (FNV-1a of its name): tasks resampled with one seed would move together.</summary>
    public static long SeedOf(string taskName)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(taskName)) hash = (hash ^ b) * 1099511628211UL;
        return (long)(hash >> 1);
    }

    /// <summary>Resampled shares (0–100) of <paramref name="n"/> items of which <paramref name="percent"/>% passed: accuracy from counts, judged rates.</summary>
    public static double[] ShareReplicates(int n, double percent, long seed, int rounds = BootstrapRounds)
    {
        var values = new double[n];
        values.AsSpan(0, (int)Math.Round(percent * n / 100)).Fill(100);
        return BootstrapReplicates.Means(values, rounds, seed);
    }

    /// <summary>
    /// A generation task whose main metric is a corpus figure (BLEU, distinct-n): computed once over every asked item
    /// from the per-item BLEU statistics or the stored outputs, with a percentile bootstrap that resamples items and
    /// recomputes the corpus figure (not a mean of per-item values). The mean metrics (ROUGE, keyword precision,
    /// accuracy as exact match) follow beside it as for any task.
    /// </summary>
    private static TaskSummary SummariseCorpus(string metric, string version, IReadOnlyList<ScoredItem> items, Dictionary<string, int> outcomes)
    {
        var asked = items.Where(i => i.Outcome != Outcome.Error).ToList();
        var rougeL = Summarise(Rouge.RougeLInfo.Name, version, items);
        var others = new SortedDictionary<string, MetricSummary>(rougeL.Metrics ?? new SortedDictionary<string, MetricSummary>(), StringComparer.Ordinal);
        var main = others.Remove(metric, out var m) ? m : new MetricSummary(0, asked.Count, 0, 0, MetricCatalog.Get(metric).Description);
        if (rougeL.Metric == Rouge.RougeLInfo.Name)
            others[Rouge.RougeLInfo.Name] = new MetricSummary(rougeL.Score, rougeL.N, rougeL.CiLow, rougeL.CiHigh, Descriptions[Rouge.RougeLInfo.Name]);
        return new TaskSummary(metric, main.Score, asked.Count, main.CiLow, main.CiHigh, outcomes, version)
        {
            Metrics = others.Count == 0 ? null : others,
            Chance = 0,
            Normalised = asked.Count == 0 ? null : main.Score,
            Signature = rougeL.Signature,
        };
    }

    /// <summary>
    /// Corpus BLEU and distinct-1..4 of generation items (those carrying BLEU statistics), each with its bootstrap;
    /// empty for other tasks. A miss is a miss: an item with no statistics stored (refused) counts as an empty output
    /// against its stored references, which adds their length to the brevity penalty and no n-gram.
    /// </summary>
    private static Dictionary<string, MetricSummary> CorpusMetrics(List<ScoredItem> asked, string? metric)
    {
        var result = new Dictionary<string, MetricSummary>(StringComparer.Ordinal);
        if (asked.Count == 0 || !asked.Any(i => BleuStatistics.FromNumbers(i.Numbers) is not null)) return result;
        var bleu = CorpusBleu.Interval(BleuItems(asked), BootstrapRounds, seed: 0);
        result[CorpusBleu.Name] = new MetricSummary(Math.Round(bleu.Mean, 4), asked.Count, Math.Round(bleu.CiLow, 4), Math.Round(bleu.CiHigh, 4),
            $"{CorpusBleu.Info.Description}; {BleuSignature(asked)}");
        var outputs = DistinctOutputs(asked);
        for (var n = 1; n <= DistinctN.MaxOrder; n++)
        {
            var distinct = DistinctN.Interval(outputs, n, BootstrapRounds, seed: 0);
            result[DistinctN.NameOf(n)] = new MetricSummary(Math.Round(distinct.Mean, 4), asked.Count, Math.Round(distinct.CiLow, 4),
                Math.Round(distinct.CiHigh, 4), DistinctN.InfoOf(n).Description);
        }
        return result;
    }

    /// <summary>Each asked item's BLEU statistics; an item with none stored (refused) is an empty output against its references.</summary>
    private static List<BleuStatistics> BleuItems(List<ScoredItem> asked) =>
        asked.Select(i => i.Outcome is Outcome.Correct or Outcome.Wrong or Outcome.Unparseable && BleuStatistics.FromNumbers(i.Numbers) is { } s
            ? s : CorpusBleu.Statistics("", Benchmarks.Suites.Generation.GenerationTask.ParseReferenceText(i.Reference))).ToList();

    private static List<string> DistinctOutputs(List<ScoredItem> asked) =>
        asked.Select(i => i.Outcome is Outcome.Correct or Outcome.Wrong ? i.Parsed ?? "" : "").ToList();

    private static string BleuSignature(List<ScoredItem> asked)
    {
        var counts = asked.Select(i => Benchmarks.Suites.Generation.GenerationTask.ParseReferenceText(i.Reference).Count).Distinct().ToList();
        return CorpusBleu.Signature(counts.Count == 1 ? counts[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : "var");
    }

    /// <summary>
    /// The main metric per value of the items' breakdown group (CMATH's grade), each over that group's asked items with
    /// its own interval, exactly as the task's score is over all of them; null when the items carry no group.
    /// </summary>
    private static SortedDictionary<string, MetricSummary>? Breakdown(List<ScoredItem> asked, string metric)
    {
        if (metric == MacroF1.Name || !asked.Any(i => i.Group is not null)) return null;
        var groups = new SortedDictionary<string, MetricSummary>(StringComparer.Ordinal);
        foreach (var group in asked.GroupBy(i => i.Group ?? "(none)"))
        {
            var (score, low, high) = MeanInterval(group.Select(i => Value(i, metric)).ToArray());
            groups[group.Key] = new MetricSummary(score, group.Count(), low, high, $"{metric} over the items of group {group.Key}");
        }
        return groups;
    }

    /// <summary>
    /// A judged hallucination task: the non-hallucination rate over the judged items with a Wilson interval (a binomial
    /// share: the interval needs no resampling), and the full <see cref="HallucinationReport"/> beside it.
    /// </summary>
    private static TaskSummary SummariseJudged(string version, IReadOnlyList<ScoredItem> items, Dictionary<string, int> outcomes)
    {
        var report = HallucinationReport.Compute(items.Select(i => new HallucinationItem(i.Kind ?? "unknown",
            i.Numbers.GetValueOrDefault(Hallucination.HallucinationScoring.UnanswerableKey) > 0, i.Outcome,
            i.Numbers.GetValueOrDefault(Hallucination.HallucinationScoring.RefusalKey) > 0,
            i.Numbers.TryGetValue(Hallucination.HallucinationScoring.NgramKey, out var ngram) ? ngram : null,
            i.Numbers.TryGetValue(Hallucination.HallucinationScoring.JudgeConsistencyKey, out var judge) ? judge : null)).ToList());
        var rate = report.Overall.NonHallucination;
        var rules = items.Where(i => i.Rule is not null).GroupBy(i => i.Rule!).ToDictionary(g => g.Key, g => g.Count());
        return new TaskSummary(NonHallucinationRate.Name, rate.Value, rate.N, rate.CiLow, rate.CiHigh, outcomes, version)
        {
            CiMethod = "wilson_95",
            Chance = 0,
            Normalised = rate.N == 0 ? null : rate.Value,
            Extraction = rules.Count == 0 ? null : new SortedDictionary<string, int>(rules, StringComparer.Ordinal),
            Hallucination = report,
        };
    }

    /// <summary>
    /// A pairwise task: the win rate among the judged items (ties half; a verdict that changed with the order is a tie)
    /// with its bootstrap interval, as <see cref="PairwiseSummary"/> computes it from each item's two stored verdicts;
    /// unjudged items are counted, never wins. The interval is resampled with the task's summary seed (0).
    /// </summary>
    private static TaskSummary SummarisePairwise(string version, IReadOnlyList<ScoredItem> items, Dictionary<string, int> outcomes)
    {
        var judgments = PairwiseJudgments(items);
        var pairwise = PairwiseSummary.Compute(judgments, BootstrapRounds, 0);
        var rules = items.Where(i => i.Rule is not null).GroupBy(i => i.Rule!).ToDictionary(g => g.Key, g => g.Count());
        var judged = pairwise.Items - pairwise.Unjudged;
        return new TaskSummary(PairwiseWinRate.Name, judged == 0 ? 0 : pairwise.WinRate, judged, judged == 0 ? 0 : pairwise.CiLow, judged == 0 ? 0 : pairwise.CiHigh, outcomes, version)
        {
            // 50% means "as good as the baseline", not chance: the win rate enters the capabilities as it is, as judged rates do.
            Chance = 0,
            Normalised = judged == 0 ? null : pairwise.WinRate,
            Extraction = rules.Count == 0 ? null : new SortedDictionary<string, int>(rules, StringComparer.Ordinal),
            Pairwise = new PairwiseReport(pairwise.Wins, pairwise.Losses, pairwise.Ties, pairwise.Unjudged, pairwise.Flipped, pairwise.BothRead,
                judged == 0 ? 0 : Math.Round(pairwise.WinRate, 4), judged == 0 ? 0 : Math.Round(pairwise.CiLow, 4), judged == 0 ? 0 : Math.Round(pairwise.CiHigh, 4),
                double.IsNaN(pairwise.PositionBiasRate) ? null : Math.Round(pairwise.PositionBiasRate, 4), PairwiseJudgePrompt.Version)
            {
                BradleyTerry = judged == 0 ? null : RatePairs(judgments),
            },
        };
    }

    private const int BradleyTerryRounds = 100;

    /// <summary>The arena's Bradley–Terry fit over the run's judged pairs, candidate against baseline (see <see cref="Runs.PairwiseBradleyTerry"/>).</summary>
    private static PairwiseBradleyTerry RatePairs(IReadOnlyList<PairwiseJudgment> judgments)
    {
        var pairs = judgments.Select(j => new JudgedPair("candidate", "baseline", j.Outcome)).ToList();
        var board = PairwiseRatings.Leaderboard(pairs, BradleyTerryRounds, 0);
        return new PairwiseBradleyTerry(PairwiseRatings.Battles(pairs).Count, board.Converged,
            // Candidate first, then baseline, whatever their ratings: a reader finds each side in the same place every time.
            board.Rows.OrderBy(r => r.Model == "candidate" ? 0 : 1)
                .Select(r => new PairwiseRating(r.Model, Math.Round(r.Rating, 2), Math.Round(r.CiLow, 2), Math.Round(r.CiHigh, 2))).ToList(),
            BradleyTerryRounds, 0);
    }

    /// <summary>Each asked item's two verdicts as the run stored them (error items, never judged, left out).</summary>
    private static List<PairwiseJudgment> PairwiseJudgments(IReadOnlyList<ScoredItem> items) =>
        Asked(items).Asked.Select(i => new PairwiseJudgment(
            i.Numbers.TryGetValue(Judging.PairwiseScoring.FirstKey, out var a) ? (PairwiseVerdict)(int)a : null,
            i.Numbers.TryGetValue(Judging.PairwiseScoring.SecondKey, out var b) ? (PairwiseVerdict)(int)b : null)).ToList();

    /// <summary>
    /// A plain-accuracy task's score, interval, outcomes, chance and normalised score from counts alone — exactly what
    /// <see cref="Summarise"/> gives for the items, since a bootstrap of 0/100 values depends only on how many there are
    /// of each (see <c>BootstrapMeans</c>): lets a leaderboard aggregate in SQL instead of reading every item. Of the
    /// further metrics only <c>answered_accuracy</c> is known from counts; the rest, and extraction rules, are left null.
    /// </summary>
    /// <param name="meanChance">The mean <c>chance</c> of the asked (non-error) items that carry one.</param>
    // The interval is a pure function of (n, correct) for a fixed seed and round count, so it is computed once per
    // process: a leaderboard re-reads thousands of cells per request, most with counts seen before.
    private const int MaxCachedIntervals = 250_000;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int N, int Correct), (double Score, double Low, double High)> AccuracyIntervals = new();

    public static TaskSummary SummariseAccuracyCounts(string version, IReadOnlyDictionary<string, int> outcomes, double meanChance)
    {
        // As in Summarise: "unjudged" is listed only where a judge left items unjudged.
        var counts = Enum.GetValues<Outcome>().Where(o => o != Outcome.Unjudged || outcomes.GetValueOrDefault(o.ToName()) > 0)
            .ToDictionary(o => o.ToName(), o => outcomes.GetValueOrDefault(o.ToName()));
        var correct = counts[Outcome.Correct.ToName()];
        var answered = correct + counts[Outcome.Wrong.ToName()];
        var n = counts.Where(c => c.Key != Outcome.Error.ToName()).Sum(c => c.Value);
        var interval = Interval(n, correct);
        var (score, low, high) = interval;
        var chance = n == 0 ? 0 : Math.Round(meanChance, 4);
        var (a, al, ah) = Interval(answered, correct);
        return new TaskSummary(Accuracy.Name, score, n, low, high, counts, version)
        {
            Metrics = answered == 0 ? null : new SortedDictionary<string, MetricSummary>(StringComparer.Ordinal)
            {
                [AnsweredAccuracy] = new MetricSummary(a, answered, al, ah, Descriptions[AnsweredAccuracy]),
            },
            Chance = chance,
            Normalised = n == 0 ? null : Normalise(score, chance),
        };
    }

    private static (double Score, double Low, double High) Interval(int n, int correct)
    {
        if (AccuracyIntervals.TryGetValue((n, correct), out var interval)) return interval;
        var values = new double[n];
        values.AsSpan(0, correct).Fill(100);
        interval = MeanInterval(values);
        if (AccuracyIntervals.Count < MaxCachedIntervals) AccuracyIntervals.TryAdd((n, correct), interval);
        return interval;
    }

    /// <summary>CUGE-style normalisation: chance → 0, perfect → 100 (below chance is negative, not clipped).</summary>
    public static double Normalise(double score, double chance) => chance >= 100 ? 0 : Math.Round(100 * (score - chance) / (100 - chance), 4);

    /// <summary>An item's value for a metric: 0 for a miss (unparseable, refused), whatever numbers it carries.</summary>
    private static double Value(ScoredItem item, string metric) => metric switch
    {
        Accuracy.Name => item.Outcome == Outcome.Correct ? 100 : 0,
        _ when item.Outcome is not (Outcome.Correct or Outcome.Wrong) => 0,
        _ => item.Numbers.TryGetValue(metric, out var v) ? v : item.Score,
    };

    private static (double Score, double Low, double High) MeanInterval(double[] values)
    {
        if (values.Length == 0) return (0, 0, 0);
        var interval = BootstrapMeanInterval.Compute(values, BootstrapRounds, seed: 0);
        return (Math.Round(values.Average(), 4), Math.Round(interval.CiLow, 4), Math.Round(interval.CiHigh, 4));
    }

    /// <summary>Macro-F1 over the asked items; an item with no answer (unparseable, refused) is a false negative of its gold class.</summary>
    private static (double Score, double Low, double High) MacroF1Interval(List<ScoredItem> asked)
    {
        if (asked.Count == 0) return (0, 0, 0);
        var (gold, predicted) = MacroF1Labels(asked);
        var interval = BootstrapStatisticInterval.Compute(asked.Count,
            idx => MacroF1.Compute(idx.Select(i => gold[i]).ToArray(), idx.Select(i => predicted[i]).ToArray()), BootstrapRounds, seed: 0);
        return (Math.Round(interval.Mean, 4), Math.Round(interval.CiLow, 4), Math.Round(interval.CiHigh, 4));
    }

    private static (int[] Gold, int[] Predicted) MacroF1Labels(List<ScoredItem> asked)
    {
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        int Class(string? label) => classes.TryGetValue(label ?? "", out var c) ? c : classes[label ?? ""] = classes.Count;
        var gold = asked.Select(i => Class(i.Reference)).ToArray();
        var predicted = asked.Select(i => i.Outcome is Outcome.Correct or Outcome.Wrong ? Class(i.Parsed) : MacroF1.NoAnswer).ToArray();
        return (gold, predicted);
    }
}
