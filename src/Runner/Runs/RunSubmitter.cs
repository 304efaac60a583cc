using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Hallucination;
using Evals.Benchmarks.Suites.Judged;
using Evals.Benchmarks.Suites.Maths;
using Evals.Runner.Hallucination;
using Evals.Runner.Backends;
using Evals.Runner.Jobs;
using Evals.Runner.Suites;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Evals.Runner.Runs;

public sealed record RunRequest(string Model, string Suite, RunConfig Config);

/// <summary>A request that passed every check: the model resolved, the suite loaded, the configuration resolved (mode).</summary>
public sealed record ValidatedRun(ResolvedModel Model, SuiteDefinition Suite, RunConfig Config, int TotalItems);

/// <summary>
/// Validates a run request completely before writing anything (unknown suite, malformed spec and bad options are
/// <see cref="BadInputException"/>s), then stores the suite version and the queued run and enqueues its job.
/// </summary>
public sealed class RunSubmitter(
    IDbContextFactory<EvalsDbContext> dbFactory,
    ModelResolver models,
    BackendFactory backends,
    SuiteCatalog catalog,
    SuiteStore suites,
    RegressionSuites regressions,
    ISchedulerFactory schedulers,
    JudgeChecks judgeChecks,
    StorageConnection storage,
    RunnerOptions runnerOptions,
    TimeProvider time)
{
    public Task<Run> SubmitAsync(RunRequest request, CancellationToken cancellationToken = default) => SubmitAsync(request, null, cancellationToken);

    /// <param name="warn">Told which imported tasks are left out because their data has not been imported (CMMLU with some subjects only).</param>
    public async Task<Run> SubmitAsync(RunRequest request, Action<string>? warn, CancellationToken cancellationToken = default) =>
        await SubmitValidatedAsync(await ValidateAsync(request, warn, cancellationToken), cancellationToken);

    /// <summary>Everything <see cref="SubmitAsync(RunRequest, CancellationToken)"/> checks, without writing anything.</summary>
    public async Task<ValidatedRun> ValidateAsync(RunRequest request, Action<string>? warn = null, CancellationToken cancellationToken = default)
    {
        var model = await models.ResolveAsync(request.Model, cancellationToken);
        SuiteDefinition suite;
        try
        {
            // A promoted-feedback suite lives in the database; names are kept apart from the datasets folder's when promoting.
            if (!catalog.SuiteNames().Contains(request.Suite) && await regressions.LoadAsync(request.Suite, cancellationToken) is { } regression)
                return await ValidatedAsync(model, regression, request.Config, warn, cancellationToken);
            var (available, notImported) = catalog.LoadAvailable(request.Suite);
            // Nothing imported: Load names the import command to run.
            suite = available.Tasks.Count == 0 && notImported.Count > 0 ? catalog.Load(request.Suite) : available;
            if (notImported.Count > 0)
                warn?.Invoke($"suite '{request.Suite}': {notImported.Count} task(s) left out, not imported: {string.Join(", ", notImported)}; averages cover the {suite.Tasks.Count} imported task(s) only");
        }
        catch (Exception e) when (e is UnknownSuiteException or TaskDataException)
        {
            throw new BadInputException(e.Message);
        }
        return await ValidatedAsync(model, suite, request.Config, warn, cancellationToken);
    }

    private async Task<ValidatedRun> ValidatedAsync(ResolvedModel model, SuiteDefinition suite, RunConfig requested, Action<string>? warn,
        CancellationToken cancellationToken)
    {
        var config = await ResolveJudgingAsync(ResolveConfig(requested, model), suite, cancellationToken);
        CheckSamples(config, model, suite);
        try
        {
            backends.CheckSuite(model.Spec, suite.Name, suite.Tasks.Select(t => t.Task.EvalItems.OrderBy(i => i.Ordinal).Select(i => i.Id).ToList())
                .Select((ids, i) => (suite.Tasks[i].Task.FullName, (IReadOnlyList<string>)ids, config.Limit is { } limit ? Math.Min(limit, ids.Count) : ids.Count))
                .ToList(), warn);
        }
        catch (ModelSpecException e)
        {
            throw new BadInputException(e.Message);
        }
        var total = suite.Tasks.Sum(t => config.Limit is { } limit ? Math.Min(limit, t.Task.EvalItems.Count()) : t.Task.EvalItems.Count());
        return new ValidatedRun(model, suite, config, total);
    }

    public async Task<Run> SubmitValidatedAsync(ValidatedRun validated, CancellationToken cancellationToken = default)
    {
        var (model, suite, config, total) = validated;
        using var activity = Telemetry.RunnerTelemetry.Source.StartActivity("evals.run.submit");
        activity?.SetTag(Telemetry.RunnerTelemetry.ModelTag, model.Name);
        activity?.SetTag("evals.suite", suite.Name);
        var suiteRow = await suites.SaveAsync(suite, cancellationToken);

        var now = time.GetUtcNow();
        var run = new Run
        {
            Id = Guid.CreateVersion7(now),
            ModelId = model.ModelId,
            ModelName = model.Name,
            ModelSpec = model.Spec.Text,
            SuiteId = suiteRow.Id,
            Config = config.ToJson(),
            Status = RunStatus.Queued,
            TotalItems = total,
            CreatedAt = now,
        };
        activity?.SetTag(Telemetry.RunnerTelemetry.RunIdTag, run.Id.ToString());
        var shards = RunShards.Layout(total, runnerOptions.ShardItems);
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.Runs.Add(run);
            await db.SaveChangesAsync(cancellationToken);
        }
        try
        {
            await using (var connection = new Npgsql.NpgsqlConnection(storage.ConnectionString))
            {
                await connection.OpenAsync(cancellationToken);
                await RunShards.CreateAsync(connection, null, run.Id, shards, cancellationToken);
            }
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            // An empty run is one job that ends it at once.
            if (shards.Count == 0) await RunScheduling.EnqueueAsync(scheduler, run.Id, cancellationToken);
            else await RunShards.EnqueueAsync(scheduler, run.Id, shards.Select(s => s.Number), replace: false, cancellationToken);
        }
        catch
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.Runs.Where(r => r.Id == run.Id).ExecuteDeleteAsync(CancellationToken.None);
            throw;
        }
        return run;
    }

    /// <summary>
    /// Judged tasks need a judge that passed its judge-check; the judge is resolved (a spec or a registered name) and
    /// stored as a spec, so that every worker calls the same model. SelfCheck needs a judged task to report on.
    /// </summary>
    private async Task<RunConfig> ResolveJudgingAsync(RunConfig config, SuiteDefinition suite, CancellationToken cancellationToken)
    {
        var hallucination = suite.Tasks.Where(t => t.Task is HallucinationQaTask).Select(t => t.Task.FullName).ToList();
        var pairwise = suite.Tasks.Where(t => t.Task is PairwiseJudgedTask).Select(t => t.Task).ToList();
        var gradedTasks = suite.Tasks.Select(t => t.Task).OfType<Benchmarks.Suites.Judged.JudgedSingleTask>().ToList();
        var graded = gradedTasks.Select(t => t.FullName).ToList();
        var judged = hallucination.Concat(pairwise.Select(t => t.FullName)).Concat(graded).ToList();
        config = await ResolveBaselineAsync(config, suite, pairwise, cancellationToken);
        if (config.SelfCheckSamples is < 0 or > 20) throw new BadInputException($"--selfcheck must be in [0, 20] samples (got {config.SelfCheckSamples})");
        if (config.SelfCheckTemperature is <= 0 or > 2 || double.IsNaN(config.SelfCheckTemperature))
            throw new BadInputException($"--selfcheck-temperature must be in (0, 2] (got {config.SelfCheckTemperature})");
        if (config.SelfCheckSamples > 0 && hallucination.Count == 0)
            throw new BadInputException($"--selfcheck: suite '{suite.Name}' has no judged (hallucination) task to check");
        if (config.Judge is not { } judgeText)
        {
            if (judged.Count > 0)
                throw new BadInputException($"suite '{suite.Name}' has judged tasks ({string.Join(", ", judged)}): give --judge SPEC, a model spec or registered name that passed `evals judge-check`");
            return config;
        }
        if (judged.Count == 0) throw new BadInputException($"--judge: suite '{suite.Name}' has no judged task (hallucination, pairwise or graded)");
        var judge = await models.ResolveAsync(judgeText, cancellationToken);
        if (!backends.Describe(judge.Spec).Generate) throw new BadInputException($"--judge '{judge.Name}' cannot generate text");
        if (hallucination.Count > 0) await judgeChecks.EnsureQualifiedAsync(judge, JudgeCheck.Modes.Hallucination, cancellationToken);
        if (pairwise.Count > 0) await judgeChecks.EnsureQualifiedAsync(judge, JudgeCheck.Modes.Pairwise, cancellationToken);
        // Single grading: a passed check per judge prompt the suite's graded tasks use.
        foreach (var version in gradedTasks.Select(t => t.PromptVersion).Distinct().Order(StringComparer.Ordinal))
            await judgeChecks.EnsureQualifiedAsync(judge, JudgeCheck.Modes.Single, cancellationToken, version);
        return config with { Judge = judge.Spec.Text, JudgeName = judge.Name };
    }

    /// <summary>
    /// Pairwise tasks compare with a baseline: <c>--baseline RUN-ID</c> (a finished run on this suite), <c>--baseline SPEC</c>
    /// (asked live, stored as a spec), or, without it, the baseline answers every item must then carry.
    /// </summary>
    private async Task<RunConfig> ResolveBaselineAsync(RunConfig config, SuiteDefinition suite, IReadOnlyList<EvalTask> pairwise, CancellationToken cancellationToken)
    {
        if (config.PairwiseBaselineName is not { } given)
        {
            foreach (var task in pairwise)
                if (task.EvalItems.FirstOrDefault(i => PairwiseJudgedTask.StoredBaselineOutput(i) is null) is { } bare)
                    throw new BadInputException($"task {task.FullName}: item {bare.Id} carries no {PairwiseJudgedTask.BaselineOutputField}; give --baseline RUN-ID or --baseline SPEC");
            return config;
        }
        if (pairwise.Count == 0) throw new BadInputException($"--baseline: suite '{suite.Name}' has no pairwise (judged_pairwise) task");
        if (Guid.TryParse(given, out var runId))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var run = await db.Runs.AsNoTracking().Include(r => r.Suite).FirstOrDefaultAsync(r => r.Id == runId, cancellationToken)
                ?? throw new BadInputException($"--baseline: no run {runId}");
            // Answers are matched by task version and item, so a run on another suite has none to offer.
            if (run.Suite?.Name != suite.Name) throw new BadInputException($"--baseline: run {runId} evaluated suite '{run.Suite?.Name}', not '{suite.Name}'; its answers cannot be matched item by item");
            if (run.Status != RunStatus.Succeeded) throw new BadInputException($"--baseline: run {runId} has not succeeded (status {run.Status.ToString().ToLowerInvariant()})");
            return config with { PairwiseBaselineRun = runId, PairwiseBaselineName = $"run {runId} ({run.ModelName})" };
        }
        var baseline = await models.ResolveAsync(given, cancellationToken);
        if (!backends.Describe(baseline.Spec).Generate) throw new BadInputException($"--baseline '{baseline.Name}' cannot generate text");
        return config with { PairwiseBaseline = baseline.Spec.Text, PairwiseBaselineName = baseline.Name };
    }

    /// <summary>
    /// Self-consistency votes over sampled answers: K identical greedy answers would make the vote a costly copy of one
    /// answer, so <c>--samples</c> needs sampling on (the run's or the model spec's temperature above 0) and a task to vote in.
    /// </summary>
    private static void CheckSamples(RunConfig config, ResolvedModel model, SuiteDefinition suite)
    {
        if (config.Decoding.Temperature is < 0 or > 2 || double.IsNaN(config.Decoding.Temperature))
            throw new BadInputException($"--temperature must be in [0, 2] (got {config.Decoding.Temperature})");
        if (config.Samples == 0) return;
        if (config.Samples is < 2 or > 64) throw new BadInputException($"--samples must be in [2, 64] (got {config.Samples}); leave it out for one answer per item");
        if (config.Decoding.Temperature <= 0 && !Backends.Caching.ModelIdentity.Samples(model.Spec))
            throw new BadInputException($"--samples {config.Samples}: sampling is off (temperature 0), so every sample would be the same answer; give --temperature T > 0 or a model spec with temperature=T");
        if (!suite.Tasks.Any(t => t.Task is NumericAnswerTask))
            throw new BadInputException($"--samples: suite '{suite.Name}' has no numeric-answer task to vote in");
    }

    private RunConfig ResolveConfig(RunConfig config, ResolvedModel model)
    {
        if (config.Limit is < 1) throw new BadInputException($"--limit must be at least 1 (got {config.Limit})");
        if (config.Shots is < 0) throw new BadInputException($"--shots must be 0 or more (got {config.Shots})");
        if (config.BatchSize is < 1 or > 10_000) throw new BadInputException($"batch size must be in [1, 10000] (got {config.BatchSize})");
        var capabilities = backends.Describe(model.Spec);
        var mode = config.Mode switch
        {
            "auto" => capabilities.LogLikelihood ? "loglikelihood" : "generate",
            "loglikelihood" when !capabilities.LogLikelihood && !capabilities.LogLikelihoodIfAsked =>
                throw new BadInputException($"model '{model.Name}' cannot score log-likelihoods; use --mode generate or auto"),
            "loglikelihood" or "generate" => config.Mode,
            _ => throw new BadInputException($"--mode '{config.Mode}' must be auto, loglikelihood or generate"),
        };
        return config with { Mode = mode };
    }
}
