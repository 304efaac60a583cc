using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Hallucination;
using Evals.Benchmarks.Suites.Maths;
using Evals.Runner.Backends;
using Evals.Runner.Backends.Caching;
using Evals.Runner.Hallucination;
using Evals.Runner.Judging;
using Evals.Benchmarks.Suites.Judged;
using Evals.Runner.Rescoring;
using Evals.Runner.Runs;
using Evals.Runner.Suites;
using Evals.Runner.Telemetry;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Storage.Results;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;

namespace Evals.Runner.Jobs;

/// <summary>
/// Executes one shard of a run (<see cref="RunShards"/>; a job without a shard number, a re-scoring or a job scheduled
/// before runs were sharded, executes the whole run): keeps the model's concurrency busy with the shard's items and
/// commits their results in batches as they finish (<see cref="PipelineAsync"/>), so a crash loses only the uncommitted
/// batch. Idempotent: items that already have a result are skipped, so a recovered shard resumes after its last
/// committed batch, and the unique (run, task, item) key forbids duplicates even if two workers ever overlap. Quartz
/// recovers the job on another node when this one dies. The shard that finishes last ends the run
/// (<see cref="RunEnd.MarkDoneAndTryFinishAsync"/>), exactly once.
/// </summary>
[DisallowConcurrentExecution]
public sealed class EvaluateRunJob(
    IDbContextFactory<EvalsDbContext> dbFactory,
    StorageConnection storage,
    SuiteStore suites,
    LoadedSuites loadedSuites,
    BackendFactory backends,
    SharedBackends shared,
    DeviceBudget devices,
    ResponseCache cache,
    DatabaseRetry retry,
    JudgeOptions judgeOptions,
    RunnerOptions runnerOptions,
    Leaderboards.LeaderboardQueries leaderboard,
    TimeProvider time,
    ILogger<EvaluateRunJob> logger) : IJob
{
    /// <summary>How long a shard this worker cannot serve waits before it is offered to the cluster again.</summary>
    public static readonly TimeSpan NotServedDelay = TimeSpan.FromSeconds(2);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var runId = Guid.Parse(context.MergedJobDataMap.GetString(RunScheduling.RunIdKey)!);
        // A run re-enqueued by the janitor has no traceparent: its job starts a trace of its own.
        ActivityContext.TryParse(context.MergedJobDataMap.GetString(RunScheduling.TraceParentKey), null, isRemote: true, out var submission);
        using var activity = RunnerTelemetry.Source.StartActivity("evals.run.execute", ActivityKind.Consumer, submission);
        activity?.SetTag(RunnerTelemetry.RunIdTag, runId.ToString());
        activity?.SetTag("evals.worker_id", context.Scheduler.SchedulerInstanceId);
        activity?.SetTag("evals.recovering", context.Recovering);
        int? shard = context.MergedJobDataMap.ContainsKey(RunShards.ShardKey) ? context.MergedJobDataMap.GetInt(RunShards.ShardKey) : null;
        if (shard is { } number) activity?.SetTag("evals.shard", number);
        try
        {
            await ExecuteRunAsync(runId, shard, context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The node is shutting down: Quartz hands the firing back for recovery and another node resumes the shard.
            logger.LogInformation("Run {RunId} (shard {Shard}) interrupted by shutdown; it resumes on the next worker", runId, shard);
            throw;
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            logger.LogError(e, "Run {RunId} failed", runId);
            await MarkFailedAsync(runId, e, CancellationToken.None);
            throw new JobExecutionException(e);
        }
    }

    private async Task ExecuteRunAsync(Guid runId, int? shardNumber, IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var workerId = context.Scheduler.SchedulerInstanceId;
        var run = await retry.ExecuteAsync(async ct =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, ct);
        }, cancellationToken);
        if (run is null)
        {
            logger.LogWarning("Run {RunId} no longer exists; nothing to do", runId);
            return;
        }
        if (run.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled) return;
        if (run.CancelRequested)
        {
            await FinishAsync(runId, RunStatus.Cancelled, null, cancellationToken);
            return;
        }
        var config = RunConfig.FromJson(run.Config);
        // Quartz hands a job to whichever node asks first: a node that cannot serve the model passes the shard back, later.
        var needs = RunShards.Needs([run.ModelSpec, config.Judge, config.PairwiseBaseline]);
        if (!runnerOptions.CanServe(needs))
        {
            logger.LogInformation("Run {RunId} (shard {Shard}) needs a worker with {Needs}; this one has {Capabilities}: left for another",
                runId, shardNumber, string.Join(", ", needs), runnerOptions.Capabilities);
            await PassBackAsync(context, cancellationToken);
            return;
        }
        // Held until the shard ends, after its model leases are disposed (declared first, disposed last).
        var onDevices = run.RescoredFrom is null ? DeviceBudget.DevicesOf([run.ModelSpec, config.Judge, config.PairwiseBaseline]) : new HashSet<string>();
        using var deviceClaim = devices.TryClaim(runId, onDevices);
        if (deviceClaim is null)
        {
            logger.LogInformation("Run {RunId} (shard {Shard}) needs {Devices}, which another run's model holds here: left for another",
                runId, shardNumber, string.Join(", ", onDevices));
            await PassBackAsync(context, cancellationToken);
            return;
        }
        RunShard? shard = null;
        var again = context.Recovering;
        if (shardNumber is { } number)
        {
            (shard, again) = await retry.ExecuteAsync(async ct => await StartShardAsync(runId, number, workerId, ct), cancellationToken);
            if (shard is null)
            {
                logger.LogWarning("Run {RunId} has no shard {Shard}; nothing to do", runId, number);
                return;
            }
        }
        logger.LogInformation("Run {RunId} ({Model} on suite {SuiteId}){Shard} starts on {Worker}{Recovering}", runId, run.ModelName, run.SuiteId,
            shard is null ? "" : $" shard {shard.Number} (items {shard.First}..{shard.First + shard.Count - 1})", workerId,
            context.Recovering ? " (recovered from a failed worker)" : "");
        // Attempts count the run's executions: its first start, and each start again of a shard (recovery, retry).
        // Only an open run: another shard may have ended it (failed, cancelled) since it was read.
        var started = await retry.ExecuteAsync(async ct =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.Runs.Where(r => r.Id == runId && (r.Status == RunStatus.Queued || r.Status == RunStatus.Running)).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.StartedAt, r => r.StartedAt ?? time.GetUtcNow())
                .SetProperty(r => r.Attempts, r => again || r.Status == RunStatus.Queued ? r.Attempts + 1 : r.Attempts)
                .SetProperty(r => r.WorkerId, workerId)
                .SetProperty(r => r.Error, (string?)null), ct);
        }, cancellationToken);
        if (started == 0) return;

        if (run.RescoredFrom is { } sourceId)
        {
            if (await RescoreAsync(run, shardNumber, sourceId, config, cancellationToken)) await CompleteAsync(runId, shardNumber, cancellationToken);
            return;
        }
        await using var model = shared.Acquire(runId, "model", () => Metered(ModelSpec.Parse(run.ModelSpec), run.ModelName, runId, config));
        var backend = model.Backend;
        // Judged tasks: the judge is a model like any other, and its calls go through the response cache too.
        await using var judgeLease = config.Judge is { } judgeSpec ? shared.Acquire(runId, "judge", () => Metered(ModelSpec.Parse(judgeSpec), judgeSpec, runId, config)) : null;
        var judge = judgeLease?.Backend;
        var scoring = judge is null ? null : new HallucinationScoring(judge, config, judgeOptions);
        // Pairwise tasks: the baseline answers live (a model spec, through the cache) or from a stored run of it.
        await using var baselineLease = config.PairwiseBaseline is { } baselineSpec
            ? shared.Acquire(runId, "baseline", () => Metered(ModelSpec.Parse(baselineSpec), baselineSpec, runId, config)) : null;
        var liveBaseline = baselineLease?.Backend;
        var storedBaseline = config.PairwiseBaselineRun is { } baselineRun
            ? await retry.ExecuteAsync(async ct => await StoredBaselineAsync(baselineRun, ct), cancellationToken) : null;
        var pairwise = judge is null ? null : new PairwiseScoring(judge, liveBaseline, storedBaseline, judgeOptions);
        var grading = judge is null ? null : new Judging.SingleGrading(judge, judgeOptions);
        string Report() => judge is null ? backend.Description : $"{backend.Description}; judge: {judge.Description}";
        var report = backend.Description;
        var fellBack = new StrongBox<bool>();
        await UpdateRunAsync(runId, s => s.SetProperty(r => r.BackendReport, Report()), cancellationToken);
        var tasks = await retry.ExecuteAsync(async ct => await loadedSuites.LoadTasksAsync(run.SuiteId, ct), cancellationToken);
        var work = new List<WorkItem>();
        var (first, end) = shard is null ? (0, int.MaxValue) : (shard.First, shard.First + shard.Count);
        var position = 0;
        foreach (var (taskId, storedTask) in tasks)
        {
            var task = PromptTemplates.Apply(storedTask, config.PromptTemplates);
            var selected = SelectItems(task, config).ToList();
            var (from, to) = (Math.Max(first, position), Math.Min(end, position + selected.Count));
            if (from < to)
            {
                var range = selected.Skip(from - position).Take(to - from).ToList();
                var done = await retry.ExecuteAsync(async ct => await DoneItemsAsync(runId, taskId, range.Select(i => i.Id).ToList(), ct), cancellationToken);
                work.AddRange(range.Where(i => !done.Contains(i.Id)).Select(i => new WorkItem(taskId, task, i)));
            }
            position += selected.Count;
        }
        if (await StopRequestedAsync(runId, cancellationToken) || !await PipelineAsync(runId, shardNumber, run.ModelName, work, backend, judge, new Scorers(scoring, pairwise, grading), config, fellBack, Report, cancellationToken))
        {
            await FinishAsync(runId, RunStatus.Cancelled, null, cancellationToken);
            logger.LogInformation("Run {RunId} cancelled", runId);
            return;
        }

        // The backend may have learnt something while running (an endpoint without log-likelihoods): record it with the run.
        if (backend.Description != report) await UpdateRunAsync(runId, s => s.SetProperty(r => r.BackendReport, Report()), cancellationToken);
        // Every choice item fell back together (the endpoint was probed once): the run was, in fact, a generation run.
        if (fellBack.Value) await UpdateRunAsync(runId, s => s.SetProperty(r => r.Config, (config with { Mode = "generate" }).ToJson()), cancellationToken);
        await CompleteAsync(runId, shardNumber, cancellationToken);
    }

    /// <summary>Offers the shard to the cluster again a little later, for a node that can serve it now.</summary>
    private async Task PassBackAsync(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await context.Scheduler.ScheduleJob(TriggerBuilder.Create().ForJob(context.JobDetail.Key)
            .WithIdentity($"{context.JobDetail.Key.Name}/{Guid.NewGuid():N}", context.JobDetail.Key.Group)
            .StartAt(time.GetUtcNow() + NotServedDelay).Build(), cancellationToken: cancellationToken);

    /// <summary>A run's backend with its spans and GenAI metrics, outside the response cache (a hit is seen as one).</summary>
    private MeteredBackend Metered(ModelSpec spec, string name, Guid runId, RunConfig config) =>
        new(backends.CreateForRun(spec, config.NoCache ? null : cache), ModelCallTags.For(spec, name, runId));

    /// <summary>Records that this worker starts the shard; says whether it had been started before (recovery, retry).</summary>
    private async Task<(RunShard? Shard, bool Again)> StartShardAsync(Guid runId, int shard, string workerId, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            update run_shards set attempts = attempts + 1, worker_id = @worker, started_at = coalesce(started_at, @now)
            where run_id = @run and shard = @shard
            returning first_item, item_count, finished_at is not null, attempts
            """, connection);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("shard", shard);
        command.Parameters.AddWithValue("worker", workerId);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return (null, false);
        return (new RunShard(shard, reader.GetInt32(0), reader.GetInt32(1), reader.GetBoolean(2)), reader.GetInt32(3) > 1);
    }

    private async Task CompleteAsync(Guid runId, int? shard, CancellationToken cancellationToken)
    {
        var (outcome, completed, failed) = await retry.ExecuteAsync(async ct =>
        {
            await using var connection = new NpgsqlConnection(storage.ConnectionString);
            await connection.OpenAsync(ct);
            return await RunEnd.MarkDoneAndTryFinishAsync(connection, runId, shard, time.GetUtcNow(), ct);
        }, cancellationToken);
        switch (outcome)
        {
            case RunEndOutcome.Succeeded:
                logger.LogInformation("Run {RunId} succeeded: {Completed} items, {Failed} failed", runId, completed, failed);
                CountFinished(RunStatus.Succeeded);
                await StoreLeaderboardRowAsync(runId, cancellationToken);
                break;
            case RunEndOutcome.Failed:
                logger.LogError("Run {RunId} failed: all {Completed} items failed", runId, completed);
                CountFinished(RunStatus.Failed);
                break;
            case RunEndOutcome.ShardsLeft:
                logger.LogInformation("Run {RunId} shard {Shard} done", runId, shard);
                break;
        }
    }

    private sealed record WorkItem(Guid TaskId, EvalTask Task, TaskItem Item);

    /// <summary>
    /// Every pending item of every task through one bounded pipeline: as many items in flight as the model takes (plus
    /// the judge's share in judged runs, since an item then waits on the model and on the judge in turn), a new item
    /// started as soon as one finishes, whatever its task. Finished results are committed in batches of the run's batch
    /// size or after <see cref="RunnerOptions.CommitIntervalMs"/>, whichever comes first, so a crash loses only the
    /// uncommitted results and progress moves per batch. A cancel request is read at each commit and at least once per
    /// interval: no new item starts after it, the calls in flight are cancelled, and what had finished is kept.
    /// </summary>
    /// <returns>False when the run was cancelled.</returns>
    /// <summary>The judged kinds' scorers of a run (null where the run has no judge).</summary>
    private sealed record Scorers(HallucinationScoring? Hallucination, PairwiseScoring? Pairwise, Judging.SingleGrading? Grading);

    /// <summary>A stored baseline run's raw answers by (task id, item key), for pairwise tasks; answers that failed are left out.</summary>
    private async Task<IReadOnlyDictionary<(Guid, string), string>> StoredBaselineAsync(Guid baselineRun, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Results.AsNoTracking().Where(r => r.RunId == baselineRun && r.RawOutput != null && r.Outcome != "error")
            .Select(r => new { r.TaskId, r.ItemKey, r.RawOutput }).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => (r.TaskId, r.ItemKey), r => r.RawOutput!);
    }

    private async Task<bool> PipelineAsync(Guid runId, int? shardNumber, string modelName, List<WorkItem> work, IModelBackend backend, IModelBackend? judge, Scorers scoring,
        RunConfig config, StrongBox<bool> fellBack, Func<string> report, CancellationToken cancellationToken)
    {
        if (work.Count == 0) return true;
        var reported = report();
        var inFlight = Math.Max(1, backend.Capabilities.MaxConcurrency) + (judge is null ? 0 : Math.Max(1, judge.Capabilities.MaxConcurrency));
        var batchSize = Math.Max(1, config.BatchSize);
        var interval = TimeSpan.FromMilliseconds(Math.Max(10, runnerOptions.CommitIntervalMs));
        // Room for several batches: a commit in progress must not stall the items in flight behind a full channel.
        var finished = Channel.CreateBounded<ResultRow>(new BoundedChannelOptions(Math.Max(256, 4 * (inFlight + batchSize))) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var producer = Task.Run(async () =>
        {
            try
            {
                await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = inFlight, CancellationToken = stop.Token },
                    async (w, ct) => await finished.Writer.WriteAsync(await EvaluateAsync(runId, w.TaskId, w.Task, w.Item, backend, scoring, config, fellBack, ct), ct));
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                finished.Writer.TryComplete();
            }
        }, CancellationToken.None);

        var batch = new List<ResultRow>(batchSize);
        var batchAge = new Stopwatch();
        var sinceCancelCheck = Stopwatch.StartNew();
        var cancelled = false;
        try
        {
            while (true)
            {
                var wait = batch.Count == 0 ? interval - sinceCancelCheck.Elapsed : interval - batchAge.Elapsed;
                bool more;
                using (var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    tick.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                    try
                    {
                        more = await finished.Reader.WaitToReadAsync(tick.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // The interval is up with nothing new: commit what waits, look for a cancel request.
                        more = true;
                    }
                }
                while (batch.Count < batchSize && finished.Reader.TryRead(out var row))
                {
                    if (batch.Count == 0) batchAge.Restart();
                    batch.Add(row);
                }
                if (batch.Count > 0 && (batch.Count >= batchSize || batchAge.Elapsed >= interval || !more))
                {
                    await SaveBatchAsync(runId, shardNumber, batch.ToArray(), cancellationToken);
                    foreach (var outcome in batch.GroupBy(r => r.Outcome))
                        RunnerTelemetry.Items.Add(outcome.Count(), new(RunnerTelemetry.ModelTag, modelName), new("evals.outcome", outcome.Key));
                    batch.Clear();
                    // A batching engine's report carries its running tokens/s and batch size: the run page shows them as they move.
                    if (report() is var current && current != reported)
                    {
                        reported = current;
                        await UpdateRunAsync(runId, s => s.SetProperty(r => r.BackendReport, current), cancellationToken);
                    }
                }
                if (!more) break;
                if (!cancelled && sinceCancelCheck.Elapsed >= interval)
                {
                    sinceCancelCheck.Restart();
                    if (await StopRequestedAsync(runId, cancellationToken))
                    {
                        // No new item starts; calls in flight end with the token, and whatever finished is still committed.
                        cancelled = true;
                        await stop.CancelAsync();
                    }
                }
            }
        }
        finally
        {
            if (!stop.IsCancellationRequested) await stop.CancelAsync();
            await producer;
        }
        // Items cancelled by a cancel request end the producer with their cancellation; anything else is the run's failure.
        if (failure is not null && !(cancelled && failure is OperationCanceledException))
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return !cancelled;
    }

    /// <summary>
    /// A re-scoring (<c>evals runs rescore</c>): every item is scored again from the source run's stored result
    /// (<see cref="StoredOutputs"/>); no backend is even created. Idempotent like a model run: items already stored are
    /// skipped, batches are committed as they go and the unique key forbids duplicates. Returns false when cancelled.
    /// </summary>
    private async Task<bool> RescoreAsync(Run run, int? shardNumber, Guid sourceId, RunConfig config, CancellationToken cancellationToken)
    {
        await UpdateRunAsync(run.Id, s => s.SetProperty(r => r.BackendReport, $"re-scored from run {sourceId}: its stored outputs, no model calls"), cancellationToken);
        var tasks = await retry.ExecuteAsync(async ct => await suites.LoadTasksAsync(run.SuiteId, ct), cancellationToken);
        foreach (var (taskId, storedTask) in tasks)
        {
            var task = PromptTemplates.Apply(storedTask, config.PromptTemplates);
            var done = await retry.ExecuteAsync(async ct => await DoneItemsAsync(run.Id, taskId, null, ct), cancellationToken);
            var pending = SelectItems(task, config).Where(i => !done.Contains(i.Id)).ToList();
            if (pending.Count == 0) continue;
            var stored = await retry.ExecuteAsync(async ct =>
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                return await db.Results.AsNoTracking().Where(r => r.RunId == sourceId && r.TaskId == taskId).ToDictionaryAsync(r => r.ItemKey, StringComparer.Ordinal, ct);
            }, cancellationToken);
            // No model to wait for: batches only bound what a crash can lose and let progress show.
            foreach (var batch in pending.Chunk(Math.Max(config.BatchSize, 200)))
            {
                if (await StopRequestedAsync(run.Id, cancellationToken))
                {
                    await FinishAsync(run.Id, RunStatus.Cancelled, null, cancellationToken);
                    return false;
                }
                var now = time.GetUtcNow();
                var rows = batch.Select(item => StoredOutputs.Rescore(run.Id, taskId, task, item, config.Shots ?? task.Manifest.Shots,
                    stored.GetValueOrDefault(item.Id), sourceId, config.Mode, now)).ToArray();
                await SaveBatchAsync(run.Id, shardNumber, rows, cancellationToken);
            }
        }
        return true;
    }

    internal static IEnumerable<TaskItem> SelectItems(EvalTask task, RunConfig config)
    {
        var items = task.EvalItems.OrderBy(i => i.Ordinal);
        return config.Limit is { } limit ? items.Take(limit) : items;
    }

    private async Task<ResultRow> EvaluateAsync(Guid runId, Guid taskId, EvalTask task, TaskItem item, IModelBackend backend, Scorers scoring,
        RunConfig config, StrongBox<bool> fellBack, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        PreparedItem? prepared = null;
        try
        {
            var shots = config.Shots ?? task.Manifest.Shots;
            prepared = task.Prepare(item, shots);
            var answer = await AskAsync(taskId, task, prepared, backend, scoring, config, fellBack, cancellationToken);
            var (verdict, raw, tokensIn, tokensOut) = (answer.Verdict, answer.Raw, answer.TokensIn, answer.TokensOut);
            var details = ItemDetails.From(verdict, task.ChanceScore(prepared));
            CallDetails.AddTo(details, answer.Mode, answer.Stats);
            // Exact, so that `runs rescore` can re-derive the choice (the raw output rounds them to four decimals).
            if (answer.LogLikelihoods is { } logLikelihoods && logLikelihoods.All(double.IsFinite))
                details[StoredOutputs.LogLikelihoodsKey] = StoredOutputs.ToJson(logLikelihoods);
            foreach (var (key, value) in answer.Judged?.ToList() ?? [])
            {
                answer.Judged!.Remove(key);
                details[key] = value;
            }
            var rotations = task.Rotations(item);
            if (config.Circular && rotations > 1 && verdict.Outcome is Outcome.Correct or Outcome.Wrong)
            {
                // The item counts for circular accuracy only if every rotation is answered right; the first miss settles it.
                var allRight = verdict.Outcome == Outcome.Correct;
                for (var r = 1; r < rotations && allRight; r++)
                {
                    var rotated = await AskAsync(taskId, task, task.Prepare(item, shots, r), backend, scoring, config, fellBack, cancellationToken);
                    (tokensIn, tokensOut) = (tokensIn + rotated.TokensIn, tokensOut + rotated.TokensOut);
                    allRight = rotated.Verdict.Outcome == Outcome.Correct;
                }
                details[ItemDetails.Circular] = allRight ? 100 : 0;
            }
            return Row(verdict.Outcome.ToName(), verdict.Score, raw, verdict.Parsed, tokensIn, tokensOut, null, ItemDetails.ToJson(details));
        }
        catch (ModelRefusedException e)
        {
            // The provider declined: neither a transport error (a retry would not change it) nor a wrong answer.
            var details = new System.Text.Json.Nodes.JsonObject();
            CallDetails.AddTo(details, config.Mode, null);
            return Row(Outcome.Refused.ToName(), 0, null, null, 0, 0, e.Message, ItemDetails.ToJson(details));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Row(Outcome.Error.ToName(), 0, null, null, 0, 0, e.Message, null);
        }

        ResultRow Row(string outcome, double score, string? raw, string? parsed, int tokensIn, int tokensOut, string? error, string? details) =>
            new(runId, taskId, item.Id, prepared?.Prompt, raw, parsed, prepared?.Reference, outcome, score, watch.Elapsed.TotalMilliseconds,
                tokensIn, tokensOut, error, time.GetUtcNow(), details);
    }

    /// <param name="Judged">Judged tasks: the judge's reply, the item's kind and SelfCheck figures; self-consistency: the samples. For the result's details.</param>
    private sealed record Answer(ItemVerdict Verdict, string Raw, int TokensIn, int TokensOut, string Mode, CallStats? Stats, System.Text.Json.Nodes.JsonObject? Judged = null,
        IReadOnlyList<double>? LogLikelihoods = null);

    private static async Task<Answer> AskAsync(Guid taskId, EvalTask task, PreparedItem prepared, IModelBackend backend, Scorers scoring, RunConfig config,
        StrongBox<bool> fellBack, CancellationToken cancellationToken)
    {
        // Span extraction has no continuations to score: it is generated whatever the run's mode.
        if (config.Mode != "generate" && task.ScoresChoices)
        {
            try
            {
                var scores = await backend.ScoreChoicesAsync(new ChoiceRequest(task.Context, prepared.Item.Id, prepared.Prompt, prepared.Continuations, prepared.Messages), cancellationToken);
                var raw = string.Join(' ', scores.LogLikelihoods.Select(l => l.ToString("0.####", CultureInfo.InvariantCulture)));
                return new Answer(task.ScoreChoices(prepared, scores), raw, scores.PromptTokens, scores.CompletionTokens, "loglikelihood", scores.Stats,
                    LogLikelihoods: scores.LogLikelihoods);
            }
            catch (LogLikelihoodUnavailableException)
            {
                // The endpoint cannot score (no echoed logprobs): the item is answered by generation and records that mode.
                fellBack.Value = true;
            }
        }
        var stops = task.Manifest.StopSequences is { Count: > 0 } own ? own : task.DefaultStopSequences;
        var decoding = task.Manifest.MaxTokens is { } max ? config.Decoding with { MaxTokens = max } : config.Decoding;
        var request = new GenerateRequest(task.Context, prepared.Item.Id, prepared.Prompt, stops, decoding,
            prepared.Continuations.Count > 0 ? prepared.Continuations : null, Messages: prepared.Messages);
        if (task is Benchmarks.Suites.Judged.JudgedSingleTask graded && scoring.Grading is { } grading)
        {
            var item = await grading.ScoreAsync(graded, prepared, backend, request, cancellationToken);
            // One answer: stored as it is; several turns: their answers as a JSON array (the details keep them too).
            var raw = item.Answers.Count == 1 ? item.Answers[0] : System.Text.Json.JsonSerializer.Serialize(item.Answers, RawJson);
            return new Answer(item.Verdict, raw, item.TokensIn, item.TokensOut, "generate", item.Stats, item.Details);
        }
        if (task is NumericAnswerTask numeric && config.Samples > 0) return await VoteAsync(numeric, prepared, backend, request, config.Samples, cancellationToken);
        var generation = await backend.GenerateAsync(request, cancellationToken);
        if (task is HallucinationQaTask judged && scoring.Hallucination is not null)
        {
            var scored = await scoring.Hallucination.ScoreAsync(judged, prepared, generation.Text, backend, request, cancellationToken);
            return new Answer(scored.Verdict, generation.Text, generation.PromptTokens, generation.CompletionTokens, "generate", generation.Stats, scored.Details);
        }
        if (task is PairwiseJudgedTask pairwise && scoring.Pairwise is not null)
        {
            var scored = await scoring.Pairwise.ScoreAsync(pairwise, taskId, prepared, generation.Text, request, cancellationToken);
            // The judge's calls (and a live baseline's) are part of what the item cost.
            var stats = (generation.Stats ?? new CallStats()) with { Cost = (generation.Stats?.Cost ?? 0) + scored.Cost };
            return new Answer(scored.Verdict, generation.Text, generation.PromptTokens, generation.CompletionTokens, "generate", stats, scored.Details);
        }
        return new Answer(task.ScoreGeneration(prepared, generation.Text), generation.Text, generation.PromptTokens, generation.CompletionTokens,
            "generate", generation.Stats);
    }

    /// <summary>
    /// Self-consistency: <paramref name="count"/> sampled answers (sample n is its own request, so the response cache keeps
    /// them apart and a rerun replays them), scored by majority vote. The raw output is the first sample; every sample's
    /// text and extracted answer go into the details, so the vote can be audited and re-scored.
    /// </summary>
    private static async Task<Answer> VoteAsync(NumericAnswerTask task, PreparedItem prepared, IModelBackend backend, GenerateRequest request, int count,
        CancellationToken cancellationToken)
    {
        var outputs = new List<string>(count);
        var (tokensIn, tokensOut, cost, cached) = (0, 0, 0.0, true);
        for (var n = 0; n < count; n++)
        {
            var generation = await backend.GenerateAsync(request with { Sample = n }, cancellationToken);
            outputs.Add(generation.Text);
            (tokensIn, tokensOut) = (tokensIn + generation.PromptTokens, tokensOut + generation.CompletionTokens);
            cost += generation.Stats?.Cost ?? 0;
            cached &= generation.Stats?.Cached ?? false;
        }
        var details = new System.Text.Json.Nodes.JsonObject { [NumericSamples.Key] = NumericSamples.ToJson(outputs) };
        return new Answer(task.ScoreMajority(prepared, outputs), outputs[0], tokensIn, tokensOut, "generate", new CallStats(cost, null, cached), details);
    }

    private static readonly System.Text.Json.JsonSerializerOptions RawJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private async Task SaveBatchAsync(Guid runId, int? shardNumber, ResultRow[] rows, CancellationToken cancellationToken)
    {
        var inserted = await retry.ExecuteAsync(async ct =>
        {
            await using var connection = new NpgsqlConnection(storage.ConnectionString);
            await connection.OpenAsync(ct);
            var written = await ResultWriter.WriteAsync(connection, rows, ct);
            if (shardNumber is { } shard) await RunShards.AddCompletedAsync(connection, runId, shard, written, ct);
            return written;
        }, cancellationToken);
        if (inserted == rows.Length)
        {
            var failed = rows.Count(r => r.Outcome == "error");
            await UpdateRunAsync(runId, s => s
                .SetProperty(r => r.CompletedItems, r => r.CompletedItems + inserted)
                .SetProperty(r => r.FailedItems, r => r.FailedItems + failed), cancellationToken);
        }
        else
        {
            // Some rows were already there (another worker overlapped): count what is stored instead.
            await retry.ExecuteAsync(async ct => await RecountAsync(runId, ct), cancellationToken);
        }
    }

    /// <param name="among">Only these items (a shard's), or all of the task's when null.</param>
    private async Task<HashSet<string>> DoneItemsAsync(Guid runId, Guid taskId, List<string>? among, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var results = db.Results.Where(r => r.RunId == runId && r.TaskId == taskId);
        if (among is not null) results = results.Where(r => among.Contains(r.ItemKey));
        var keys = await results.Select(r => r.ItemKey).ToListAsync(cancellationToken);
        return keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A cancel was asked, or another shard ended the run (a failure): this shard stops too.</summary>
    private async Task<bool> StopRequestedAsync(Guid runId, CancellationToken cancellationToken) =>
        await retry.ExecuteAsync(async ct =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.Runs.Where(r => r.Id == runId)
                .Select(r => r.CancelRequested || r.Status == RunStatus.Failed || r.Status == RunStatus.Cancelled || r.Status == RunStatus.Succeeded).SingleAsync(ct);
        }, cancellationToken);

    private async Task<(int Completed, int Failed)> RecountAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var completed = await db.Results.CountAsync(r => r.RunId == runId, cancellationToken);
        var failed = await db.Results.CountAsync(r => r.RunId == runId && r.Outcome == "error", cancellationToken);
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.CompletedItems, completed)
            .SetProperty(r => r.FailedItems, failed), cancellationToken);
        return (completed, failed);
    }

    /// <summary>Ends an open run; a run another shard has already ended keeps its end.</summary>
    private async Task FinishAsync(Guid runId, RunStatus status, string? error, CancellationToken cancellationToken)
    {
        var ended = await retry.ExecuteAsync(async ct =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.Runs.Where(r => r.Id == runId && (r.Status == RunStatus.Queued || r.Status == RunStatus.Running)).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, status)
                .SetProperty(r => r.FinishedAt, time.GetUtcNow())
                .SetProperty(r => r.Error, error), ct);
        }, cancellationToken);
        if (ended > 0) CountFinished(status);
    }

    private static void CountFinished(RunStatus status) =>
        RunnerTelemetry.RunsFinished.Add(1, new KeyValuePair<string, object?>("evals.run.status", status.ToString().ToLowerInvariant()));

    private async Task StoreLeaderboardRowAsync(Guid runId, CancellationToken cancellationToken)
    {
        try
        {
            await leaderboard.StoreRunAsync(runId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The run has succeeded; its leaderboard figures are computed by the first reader instead.
            logger.LogWarning(e, "Run {RunId}: storing its leaderboard figures failed", runId);
        }
    }

    private async Task MarkFailedAsync(Guid runId, Exception exception, CancellationToken cancellationToken)
    {
        try
        {
            await FinishAsync(runId, RunStatus.Failed, exception.Message, cancellationToken);
        }
        catch (Exception e) when (DatabaseRetry.IsTransient(e))
        {
            logger.LogError(e, "Run {RunId} failed and could not be marked failed: the database is unreachable", runId);
        }
    }

    private async Task UpdateRunAsync(Guid runId, Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Run>> setters, CancellationToken cancellationToken) =>
        await retry.ExecuteAsync(async ct =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(setters, ct);
        }, cancellationToken);
}
