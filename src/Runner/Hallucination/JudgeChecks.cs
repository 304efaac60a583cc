using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Statistics;
using Evals.Runner.Backends;
using Evals.Runner.Backends.Caching;
using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Hallucination;

/// <summary>The outcome of one judge-check, as stored.</summary>
public sealed record JudgeCheckResult(JudgeCheck Stored, int[,] Table, int EmptyAnswers);

/// <summary>
/// Qualifies judges: <see cref="CheckAsync"/> asks the judge about every labelled answer (through the response cache),
/// computes Cohen's kappa between its verdicts and the labels and stores the check in <c>judge_checks</c>;
/// <see cref="EnsureQualifiedAsync"/> refuses a run whose judge's latest check (same judge identity, same judge prompt
/// version) is missing or below <see cref="JudgeOptions.MinKappa"/>. Labelled answers that are empty are left out (a
/// run counts them hallucinated without asking the judge), and so are replies with no readable verdict (counted).
/// </summary>
public sealed class JudgeChecks(IDbContextFactory<EvalsDbContext> dbFactory, BackendFactory backends, ResponseCache cache, JudgeOptions options, TimeProvider time)
{
    public async Task<JudgeCheckResult> CheckAsync(ResolvedModel judge, string labelsFile, IReadOnlyList<JudgeLabel> labels, double minKappa, bool noCache,
        CancellationToken cancellationToken = default)
    {
        await using var backend = backends.CreateForRun(judge.Spec, noCache ? null : cache);
        var asked = labels.Where(l => l.Answer.Trim().Length > 0).ToList();
        var verdicts = new ConcurrentDictionary<int, JudgeVerdict?>();
        await Parallel.ForEachAsync(Enumerable.Range(0, asked.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, backend.Capabilities.MaxConcurrency), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var label = asked[i];
                var prompt = HallucinationJudgePrompt.Build(label.Question, label.References, label.Answer.Trim());
                var request = new GenerateRequest(new TaskContext($"judge {HallucinationJudgePrompt.Version} check", null), label.Id, prompt, [],
                    new DecodingOptions(Temperature: 0, MaxTokens: options.MaxTokens));
                try
                {
                    verdicts[i] = JudgeVerdictParser.Parse((await backend.GenerateAsync(request, ct)).Text);
                }
                catch (ModelRefusedException)
                {
                    verdicts[i] = null;
                }
            });
        // Rows: the label (0 not hallucinated, 1 hallucinated); columns: the judge.
        var table = new int[2, 2];
        var unjudged = 0;
        for (var i = 0; i < asked.Count; i++)
        {
            if (verdicts[i] is not { } verdict)
            {
                unjudged++;
                continue;
            }
            table[asked[i].Hallucinated ? 1 : 0, verdict == JudgeVerdict.Hallucinated ? 1 : 0]++;
        }
        var items = table[0, 0] + table[0, 1] + table[1, 0] + table[1, 1];
        var kappa = CohensKappa.Compute(table);
        var check = new JudgeCheck
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            JudgeIdentity = ModelIdentity.For(judge.Spec),
            JudgeName = judge.Name,
            PromptVersion = HallucinationJudgePrompt.Version,
            LabelsFile = Path.GetFileName(labelsFile),
            LabelsSha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(labelsFile, cancellationToken))),
            Items = items,
            Unjudged = unjudged,
            Kappa = double.IsNaN(kappa) ? null : Math.Round(kappa, 6),
            Agreement = items == 0 ? 0 : Math.Round(100.0 * (table[0, 0] + table[1, 1]) / items, 4),
            MinKappa = minKappa,
            Passed = !double.IsNaN(kappa) && Math.Round(kappa, 6) >= minKappa,
            CheckedAt = time.GetUtcNow(),
        };
        await StoreAsync(check, cancellationToken);
        return new JudgeCheckResult(check, table, labels.Count - asked.Count);
    }

    /// <summary>
    /// Pairwise qualification: every labelled pair judged in both orders (model1 first, then second; through the response
    /// cache), the combined verdict compared with each human vote (<see cref="PairwiseAgreement"/>), stored with mode
    /// <c>pairwise</c> and the position-bias rate. A judge that declines an order leaves that item unjudged.
    /// </summary>
    public async Task<(JudgeCheck Stored, PairwiseAgreement Agreement)> CheckPairwiseAsync(ResolvedModel judge, string labelsPath, IReadOnlyList<PairwiseLabelItem> items,
        double minKappa, bool noCache, CancellationToken cancellationToken = default)
    {
        await using var backend = backends.CreateForRun(judge.Spec, noCache ? null : cache);
        var first = new PairwiseVerdict?[items.Count];
        var second = new PairwiseVerdict?[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count * 2),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, backend.Capabilities.MaxConcurrency), CancellationToken = cancellationToken },
            async (k, ct) =>
            {
                var item = items[k / 2];
                var model1First = k % 2 == 0;
                var prompt = model1First ? PairwiseJudgePrompt.Build(item.Question, item.Answer1, item.Answer2) : PairwiseJudgePrompt.Build(item.Question, item.Answer2, item.Answer1);
                var request = new GenerateRequest(new TaskContext($"judge {PairwiseJudgePrompt.Version} check", null), item.Id, prompt, [],
                    new DecodingOptions(Temperature: 0, MaxTokens: options.MaxTokens));
                PairwiseVerdict? verdict;
                try
                {
                    verdict = PairwiseVerdictParser.Parse((await backend.GenerateAsync(request, ct)).Text);
                }
                catch (ModelRefusedException)
                {
                    verdict = null;
                }
                if (model1First) first[k / 2] = verdict;
                else second[k / 2] = verdict;
            });
        var agreement = PairwiseAgreement.Compute(items, Enumerable.Range(0, items.Count).Select(i => new PairwiseJudgment(first[i], second[i])).ToList());
        var kappa = agreement.Kappa;
        var check = new JudgeCheck
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            JudgeIdentity = ModelIdentity.For(judge.Spec),
            JudgeName = judge.Name,
            PromptVersion = PairwiseJudgePrompt.Version,
            Mode = JudgeCheck.Modes.Pairwise,
            LabelsFile = Path.GetFileName(Path.TrimEndingDirectorySeparator(labelsPath)),
            LabelsSha256 = await LabelsHashAsync(labelsPath, cancellationToken),
            Items = agreement.Votes,
            Unjudged = agreement.UnjudgedItems,
            Kappa = double.IsNaN(kappa) ? null : Math.Round(kappa, 6),
            Agreement = double.IsNaN(agreement.Agreement) ? 0 : Math.Round(agreement.Agreement, 4),
            PositionBiasRate = double.IsNaN(agreement.PositionBiasRate) ? null : Math.Round(agreement.PositionBiasRate, 4),
            MinKappa = minKappa,
            Passed = !double.IsNaN(kappa) && Math.Round(kappa, 6) >= minKappa,
            CheckedAt = time.GetUtcNow(),
        };
        await StoreAsync(check, cancellationToken);
        return (check, agreement);
    }

    /// <summary>
    /// Single-grading qualification: every labelled answer graded by the judge with the prompt family
    /// <paramref name="style"/> (as a run of that family asks; through the response cache), the grades compared with
    /// people's by Spearman's rho and Kendall's tau-b (<see cref="SingleGradeAgreement"/>), stored with mode <c>single</c>
    /// and that family's prompt version. A reply with no readable grade, or a declined call, leaves the item unjudged.
    /// </summary>
    public async Task<(JudgeCheck Stored, SingleGradeAgreement Agreement)> CheckSingleAsync(ResolvedModel judge, string labelsFile, string style,
        IReadOnlyList<SingleGradeLabel> labels, double minSpearman, bool noCache, CancellationToken cancellationToken = default)
    {
        await using var backend = backends.CreateForRun(judge.Spec, noCache ? null : cache);
        var version = SingleGradePrompts.VersionOf(style);
        var grades = new double?[labels.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, labels.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, backend.Capabilities.MaxConcurrency), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var messages = labels[i].JudgeMessages(style);
                var request = new GenerateRequest(new TaskContext($"judge {version} check", null), labels[i].Id, Conversation.ToStored(messages), [],
                    new DecodingOptions(Temperature: 0, MaxTokens: options.SingleMaxTokens), Messages: messages);
                try
                {
                    grades[i] = GradeParser.Parse(style, (await backend.GenerateAsync(request, ct)).Text)?.Score;
                }
                catch (ModelRefusedException)
                {
                    grades[i] = null;
                }
            });
        var agreement = SingleGradeAgreement.Compute(labels.Select(l => l.Grade).ToList(), grades);
        var spearman = double.IsNaN(agreement.Spearman) ? (double?)null : Math.Round(agreement.Spearman, 6);
        var check = new JudgeCheck
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            JudgeIdentity = ModelIdentity.For(judge.Spec),
            JudgeName = judge.Name,
            PromptVersion = version,
            Mode = JudgeCheck.Modes.Single,
            LabelsFile = Path.GetFileName(labelsFile),
            LabelsSha256 = await LabelsHashAsync(labelsFile, cancellationToken),
            Items = agreement.Items,
            Unjudged = agreement.Unjudged,
            Spearman = spearman,
            KendallTauB = double.IsNaN(agreement.KendallTauB) ? null : Math.Round(agreement.KendallTauB, 6),
            Agreement = double.IsNaN(agreement.ExactAgreement) ? 0 : Math.Round(agreement.ExactAgreement, 4),
            MinKappa = minSpearman,
            Passed = spearman is { } rho && rho >= minSpearman,
            CheckedAt = time.GetUtcNow(),
        };
        await StoreAsync(check, cancellationToken);
        return (check, agreement);
    }

    private async Task StoreAsync(JudgeCheck check, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.JudgeChecks.Add(check);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>SHA-256 of a labels file, or of a folder's .jsonl files in name order (each name, then its bytes).</summary>
    private static async Task<string> LabelsHashAsync(string path, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path)) return Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path, cancellationToken)));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.GetFiles(path, "*.jsonl").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            hash.AppendData(await File.ReadAllBytesAsync(file, cancellationToken));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Throws <see cref="BadInputException"/> (exit 2, nothing queued) unless the judge's latest hallucination check reaches the minimum kappa.</summary>
    public Task EnsureQualifiedAsync(ResolvedModel judge, CancellationToken cancellationToken = default) =>
        EnsureQualifiedAsync(judge, JudgeCheck.Modes.Hallucination, cancellationToken);

    /// <summary>
    /// Throws <see cref="BadInputException"/> (exit 2, nothing queued) unless the judge's latest check of this mode (same
    /// identity, same prompt version) reaches the mode's minimum: Cohen's kappa <see cref="JudgeOptions.MinKappa"/> for
    /// hallucination, <see cref="JudgeOptions.MinPairwiseKappa"/> for pairwise; for single grading Spearman's rho
    /// <see cref="JudgeOptions.MinSingleSpearman"/> on the prompt version <paramref name="singlePromptVersion"/> (each
    /// prompt family is checked on its own: a judge can read AlignBench's Chinese rubric well and FastChat's poorly).
    /// </summary>
    public async Task EnsureQualifiedAsync(ResolvedModel judge, string mode, CancellationToken cancellationToken = default, string? singlePromptVersion = null)
    {
        var (version, minimum, setting, measure) = mode switch
        {
            JudgeCheck.Modes.Pairwise => (PairwiseJudgePrompt.Version, options.MinPairwiseKappa, "Judge:MinPairwiseKappa", "Cohen's kappa"),
            JudgeCheck.Modes.Single => (singlePromptVersion ?? throw new ArgumentNullException(nameof(singlePromptVersion)), options.MinSingleSpearman,
                "Judge:MinSingleSpearman", "Spearman's rho"),
            _ => (HallucinationJudgePrompt.Version, options.MinKappa, "Judge:MinKappa", "Cohen's kappa"),
        };
        var identity = ModelIdentity.For(judge.Spec);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var latest = await db.JudgeChecks.AsNoTracking()
            .Where(c => c.JudgeIdentity == identity && c.PromptVersion == version && c.Mode == mode)
            .OrderByDescending(c => c.CheckedAt).ThenByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
        var modeOption = mode switch
        {
            JudgeCheck.Modes.Hallucination => "",
            JudgeCheck.Modes.Single => $" --mode single --prompt {SingleGradePrompts.StyleOf(version)}",
            _ => $" --mode {mode}",
        };
        if (latest is null)
            throw new BadInputException($"--judge '{judge.Name}': this judge has not been checked against labels ({mode}, prompt {version}); " +
                $"run `evals judge-check{modeOption} --judge {judge.Name} --labels FILE` first (it needs {measure} ≥ {Format(minimum)}, {setting})");
        var value = mode == JudgeCheck.Modes.Single ? latest.Spearman : latest.Kappa;
        if (value is not { } reached || reached < minimum)
            throw new BadInputException($"--judge '{judge.Name}': refused for scoring: its latest {mode} judge-check ({latest.CheckedAt:u}, prompt {version}, labels {latest.LabelsFile}, " +
                $"{latest.Items} items) has {measure} {(value is { } v ? Format(v) : "undefined")}, below the required {Format(minimum)} ({setting})");
    }

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
