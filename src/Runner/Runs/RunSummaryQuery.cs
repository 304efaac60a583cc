using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Runs;

/// <summary>
/// Computes a run's summary from its stored results: the one source of truth for CLI, API and pages. Task scores as
/// <see cref="TaskScoring"/> defines them; subject averages per category (C-Eval, CMMLU) as their authors compute them;
/// capabilities from the tree in <c>datasets/capabilities.json</c> over chance-normalised task scores.
/// </summary>
public sealed class RunSummaryQuery(IDbContextFactory<EvalsDbContext> dbFactory, SuiteCatalog catalog)
{
    public Task<RunSummary?> GetAsync(Guid runId, CancellationToken cancellationToken = default) => GetAsync(runId, null, cancellationToken);

    /// <param name="reference">
    /// The run (id) or registered model (name: its latest succeeded run on the suite) that task scores are normalised
    /// against, CUGE-style; null: the one <c>capabilities.json</c> names for the suite, else chance normalisation.
    /// </param>
    /// <exception cref="BadInputException">An explicit reference that is unknown, unfinished or of another suite.</exception>
    public async Task<RunSummary?> GetAsync(Guid runId, string? reference, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Include(r => r.Suite).ThenInclude(s => s!.Tasks).ThenInclude(t => t.Task)
            .FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return null;
        var rows = await db.Results.AsNoTracking().Where(r => r.RunId == runId)
            .Select(r => new { r.TaskId, r.Outcome, r.Score, r.Parsed, r.Reference, r.Details, r.TokensIn, r.TokensOut })
            .ToListAsync(cancellationToken);
        var byTask = rows.ToLookup(r => r.TaskId);
        var tree = CapabilityTree.Load(catalog.Root);
        var (referenceScores, referenceNote) = await ReferenceAsync(db, run.Suite!.Name, tree, reference, cancellationToken);

        // Per-call accounting lives in the items' details (see Jobs/CallDetails).
        var calls = await db.Database.SqlQuery<CallTotals>($"""
            select coalesce(sum((details->>'cost')::double precision), 0) as "Cost",
                   count(*) filter (where (details->>'cached')::boolean) as "Cached",
                   coalesce(avg(latency_ms), 0) as "MeanLatencyMs",
                   avg((details->>'ttft_ms')::double precision) as "MeanTtftMs"
            from results where run_id = {runId}
            """).SingleAsync(cancellationToken);

        var tasks = new SortedDictionary<string, TaskSummary>(StringComparer.Ordinal);
        var scoredTasks = new List<(string, TaskManifest, TaskSummary)>();
        var replicates = new List<(string, TaskManifest, TaskSummary, double[])>();
        var categorised = new Dictionary<string, List<(string, IReadOnlyList<string>, double)>>();
        var views = new Dictionary<string, Benchmarks.Suites.LeaderboardView?>(StringComparer.Ordinal);
        var graded = new Dictionary<string, (string Style, List<Benchmarks.Judging.GradedJudgment> Judgments)>(StringComparer.Ordinal);
        foreach (var entry in run.Suite!.Tasks.OrderBy(t => t.Position))
        {
            var task = entry.Task!;
            var manifest = JsonSerializer.Deserialize<TaskManifest>(task.Manifest, TaskManifest.Json)!;
            var items = byTask[task.Id].Select(r => ToScoredItem(r.Outcome, r.Score, r.Parsed, r.Reference, r.Details)).ToList();
            var summary = TaskScoring.Summarise(manifest.Metric, task.Version, items);
            if (summary.Breakdown is not null) summary = summary with { BreakdownField = manifest.BreakdownField };
            tasks[task.Name] = summary;
            scoredTasks.Add((task.Name, manifest, summary));
            replicates.Add((task.Name, manifest, summary, TaskScoring.Replicates(manifest.Metric, items, summary, TaskScoring.SeedOf(task.Name))));
            if (manifest.Kind == Benchmarks.Suites.Judged.JudgedSingleTask.KindName && manifest.JudgePrompt is { } style)
            {
                var suiteName = task.Name[..task.Name.IndexOf('/')];
                if (!graded.TryGetValue(suiteName, out var grades)) graded[suiteName] = grades = (style, []);
                grades.Judgments.AddRange(byTask[task.Id].SelectMany(r => GradedJudgments(r.Details)));
            }
            if (summary.N == 0) continue;
            var suite = task.Name[..task.Name.IndexOf('/')];
            if (!views.TryGetValue(suite, out var view)) views[suite] = view = catalog.ViewOf(suite);
            var categories = view?.CategoriesOf(task.Name, manifest.Categories) ?? manifest.Categories;
            if (categories.Count > 0)
            {
                if (!categorised.TryGetValue(suite, out var list)) categorised[suite] = list = [];
                list.Add((task.Name, categories, summary.Score));
            }
        }
        var rollUp = CapabilityScores.Compute(tree, scoredTasks, referenceScores);
        var overallInterval = CapabilityScores.OverallInterval(tree, replicates, referenceScores);
        if (referenceScores is not null)
            foreach (var (name, _, _) in scoredTasks)
                if (referenceScores.Tasks.TryGetValue(name, out var r))
                    tasks[name] = tasks[name] with { ReferenceScore = r.Score, Relative = rollUp.Relative?.TryGetValue(name, out var rel) == true ? rel : null };
        var end = run.FinishedAt;
        var config = RunConfig.FromJson(run.Config);
        return new RunSummary
        {
            RunId = run.Id,
            Model = run.ModelName,
            Suite = run.Suite.Name,
            SuiteVersion = run.Suite.Version,
            Mode = config.Mode,
            Status = run.Status.ToString().ToLowerInvariant(),
            Tasks = tasks,
            Capabilities = rollUp.Capabilities,
            Overall = rollUp.Overall,
            OverallCiLow = overallInterval?.Low,
            OverallCiHigh = overallInterval?.High,
            TasksMean = rollUp.TasksMean,
            Normalisation = rollUp.Normalisation,
            Reference = referenceScores is null ? null : new ReferenceRun(referenceScores.RunId, referenceScores.Model),
            ReferenceNote = referenceNote,
            LeftOutOfCapabilities = rollUp.LeftOut is null ? null : new SortedDictionary<string, string>(rollUp.LeftOut.ToDictionary(), StringComparer.Ordinal),
            Categories = categorised.Count == 0 ? null : new SortedDictionary<string, IReadOnlyDictionary<string, double>>(
                categorised.ToDictionary(c => c.Key, c => (IReadOnlyDictionary<string, double>)CategoryAverages.Compute(c.Value, views[c.Key]?.OverallOf)
                    .ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 4))), StringComparer.Ordinal),
            Judged = graded.Count == 0 ? null : new SortedDictionary<string, Benchmarks.Judging.OfficialGradeScores>(
                graded.ToDictionary(g => g.Key, g => Benchmarks.Judging.OfficialGradeAggregates.For(g.Value.Style, g.Value.Judgments)), StringComparer.Ordinal),
            Usage = new UsageSummary(rows.Sum(r => (long)r.TokensIn), rows.Sum(r => (long)r.TokensOut), Math.Round(calls.Cost, 6), (int)calls.Cached,
                Math.Round(calls.MeanLatencyMs, 3), calls.MeanTtftMs is { } ttft ? Math.Round(ttft, 3) : null),
            DurationS = run.StartedAt is { } start && end is { } stop ? Math.Round((stop - start).TotalSeconds, 3) : 0,
            TotalItems = run.TotalItems,
            CompletedItems = run.CompletedItems,
            FailedItems = run.FailedItems,
            Complete = run.Status == Storage.Entities.RunStatus.Succeeded && rows.Count >= run.TotalItems && rows.All(r => r.Outcome != "error"),
            Error = run.Error,
            Backend = run.BackendReport,
            Judge = config.Judge is null ? null : $"{config.JudgeName} ({config.Judge}), prompt {JudgePromptVersions(run.Suite.Tasks.Select(t => t.Task!))}",
            PairwiseBaseline = tasks.Values.Any(t => t.Pairwise is not null)
                ? config.PairwiseBaselineName is { } baselineName ? (config.PairwiseBaseline is { } baselineSpec ? $"{baselineName} ({baselineSpec}), answered live" : baselineName)
                    : "the baseline answers the items carry"
                : null,
            SelfCheck = config.SelfCheckSamples > 0
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{config.SelfCheckSamples} samples at temperature {config.SelfCheckTemperature}") : null,
            SelfConsistency = config.Samples > 0
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"majority vote of {config.Samples} samples per numeric-answer item at temperature {config.Decoding.Temperature}")
                : null,
            RescoredFrom = run.RescoredFrom,
        };
    }

    /// <summary>
    /// The reference a summary is normalised against, with a note when the tree names one that cannot be used (the
    /// summary then falls back to chance normalisation: a missing reference is not an error on every page).
    /// </summary>
    public async Task<(ReferenceScores? Scores, string? Note)> ReferenceAsync(string suite, string? reference, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ReferenceAsync(db, suite, CapabilityTree.Load(catalog.Root), reference, cancellationToken);
    }

    /// <summary>
    /// The run <c>capabilities.json</c>'s reference model for the suite stands for (its latest succeeded run there), or
    /// null (none named, or not usable: summaries then use chance normalisation), without reading its results.
    /// </summary>
    public async Task<Guid?> ReferenceRunAsync(string suite, CancellationToken cancellationToken = default)
    {
        var tree = CapabilityTree.Load(catalog.Root);
        if (!tree.ReferenceModels.TryGetValue(suite, out var reference)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (run, problem) = await FindReferenceAsync(db, suite, reference, cancellationToken);
        return problem is null ? run!.Id : null;
    }

    private static async Task<(ReferenceScores? Scores, string? Note)> ReferenceAsync(EvalsDbContext db, string suite, CapabilityTree tree,
        string? reference, CancellationToken cancellationToken)
    {
        var explicitly = reference is not null;
        if (reference is null && !tree.ReferenceModels.TryGetValue(suite, out reference)) return (null, null);
        var (referenceRun, problem) = await FindReferenceAsync(db, suite, reference, cancellationToken);
        if (problem is not null)
            return explicitly ? throw new BadInputException($"--reference: {problem}") : (null, $"reference from {CapabilityTree.FileName}: {problem}; chance normalisation used");
        var scores = new Dictionary<string, (double, string)>(StringComparer.Ordinal);
        var tasks = await db.SuiteTasks.AsNoTracking().Where(t => t.SuiteId == referenceRun!.SuiteId)
            .Select(t => new { t.TaskId, t.Task!.Name, t.Task.Version, t.Task.Manifest }).ToListAsync(cancellationToken);
        var rows = (await db.Results.AsNoTracking().Where(r => r.RunId == referenceRun!.Id)
            .Select(r => new { r.TaskId, r.Outcome, r.Score, r.Parsed, r.Reference, r.Details }).ToListAsync(cancellationToken)).ToLookup(r => r.TaskId);
        foreach (var task in tasks)
        {
            var manifest = JsonSerializer.Deserialize<TaskManifest>(task.Manifest, TaskManifest.Json)!;
            var summary = TaskScoring.Summarise(manifest.Metric, task.Version,
                rows[task.TaskId].Select(r => ToScoredItem(r.Outcome, r.Score, r.Parsed, r.Reference, r.Details)).ToList());
            if (summary.N > 0) scores[task.Name] = (summary.Score, task.Version);
        }
        return (new ReferenceScores(referenceRun!.Id, referenceRun.ModelName, scores), null);
    }

    /// <summary>The reference run (by id, or a model's latest succeeded run on the suite) and, when it cannot be used, why.</summary>
    private static async Task<(Storage.Entities.Run? Run, string? Problem)> FindReferenceAsync(EvalsDbContext db, string suite, string reference,
        CancellationToken cancellationToken)
    {
        var candidates = db.Runs.AsNoTracking().Where(r => r.Status == Storage.Entities.RunStatus.Succeeded && r.Suite!.Name == suite);
        var referenceRun = Guid.TryParse(reference, out var id)
            ? await db.Runs.AsNoTracking().Include(r => r.Suite).FirstOrDefaultAsync(r => r.Id == id, cancellationToken)
            : await candidates.Include(r => r.Suite).Where(r => r.ModelName == reference.Trim()).OrderByDescending(r => r.FinishedAt)
                .FirstOrDefaultAsync(cancellationToken);
        string? problem = referenceRun switch
        {
            null when Guid.TryParse(reference, out _) => $"no run with id {reference}",
            null => $"model '{reference}' has no succeeded run on suite '{suite}'",
            { Status: not Storage.Entities.RunStatus.Succeeded } => $"run {referenceRun.Id} is {referenceRun.Status.ToString().ToLowerInvariant()}, not succeeded",
            _ when referenceRun.Suite!.Name != suite => $"run {referenceRun.Id} evaluated suite '{referenceRun.Suite.Name}', not '{suite}'",
            _ => null,
        };
        return (referenceRun, problem);
    }

    /// <summary>The judge prompts a suite's judged tasks use, by version.</summary>
    private static string JudgePromptVersions(IEnumerable<Storage.Entities.TaskVersion> tasks)
    {
        var versions = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            var manifest = JsonSerializer.Deserialize<TaskManifest>(task.Manifest, TaskManifest.Json)!;
            if (manifest.Kind == Benchmarks.Suites.Judged.JudgedSingleTask.KindName && manifest.JudgePrompt is { } style)
                versions.Add(Benchmarks.Judging.SingleGradePrompts.VersionOf(style));
            else if (manifest.Kind == Benchmarks.Suites.Hallucination.HallucinationQaTask.KindName)
                versions.Add(Evals.Benchmarks.Hallucination.HallucinationJudgePrompt.Version);
            else if (manifest.Kind == Benchmarks.Suites.Judged.PairwiseJudgedTask.KindName)
                versions.Add(Evals.Benchmarks.Judging.PairwiseJudgePrompt.Version);
        }
        return versions.Count == 0 ? Evals.Benchmarks.Hallucination.HallucinationJudgePrompt.Version : string.Join(", ", versions);
    }

    /// <summary>A graded result's judgments (<see cref="Judging.SingleGrading.Details"/>): its category and each turn's grade, −1 for none.</summary>
    public static IEnumerable<Benchmarks.Judging.GradedJudgment> GradedJudgments(string? details)
    {
        if (details is null || !details.Contains("\"grades\"", StringComparison.Ordinal)) yield break;
        using var document = JsonDocument.Parse(details);
        var root = document.RootElement;
        if (!root.TryGetProperty(Judging.SingleGrading.GradesKey, out var grades) || grades.ValueKind != JsonValueKind.Array) yield break;
        var category = root.TryGetProperty(Judging.SingleGrading.CategoryKey, out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
        var turn = 0;
        foreach (var grade in grades.EnumerateArray())
            yield return new Benchmarks.Judging.GradedJudgment(category, ++turn, grade.GetDouble());
    }

    private static string? KindOf(string? details)
    {
        if (details is null || !details.Contains("\"kind\"", StringComparison.Ordinal)) return null;
        using var document = JsonDocument.Parse(details);
        return document.RootElement.TryGetProperty(Hallucination.HallucinationScoring.KindKey, out var kind) && kind.ValueKind == JsonValueKind.String
            ? kind.GetString() : null;
    }

    /// <summary>A stored result as <see cref="TaskScoring.Summarise"/> reads it.</summary>
    public static ScoredItem ToScoredItem(string outcome, double score, string? parsed, string? reference, string? details) =>
        new(OutcomeNames.Parse(outcome), score, parsed, reference, ItemDetails.Numbers(details), RuleOf(details), KindOf(details), GroupOf(details));

    private static string? GroupOf(string? details)
    {
        if (details is null || !details.Contains("\"group\"", StringComparison.Ordinal)) return null;
        using var document = JsonDocument.Parse(details);
        return document.RootElement.TryGetProperty(ItemDetails.Group, out var group) && group.ValueKind == JsonValueKind.String ? group.GetString() : null;
    }

    private static string? RuleOf(string? details)
    {
        if (details is null || !details.Contains("\"rule\"", StringComparison.Ordinal)) return null;
        using var document = JsonDocument.Parse(details);
        return document.RootElement.TryGetProperty(ItemDetails.Rule, out var rule) ? rule.GetString() : null;
    }
}

internal sealed record CallTotals(double Cost, long Cached, double MeanLatencyMs, double? MeanTtftMs);
