using Evals.Runner.Jobs;
using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Evals.Runner.Rescoring;

/// <summary>How a re-scoring's items compare with its source's: how many were scored again, copied, and changed.</summary>
/// <param name="Copied">Items copied as they were, by why (<c>copied: no exact log-likelihoods stored</c>, …).</param>
/// <param name="Changed">Items whose outcome or score differs from the source's.</param>
public sealed record RescoreReport(int Scored, IReadOnlyDictionary<string, int> Copied, int Changed);

/// <summary>
/// <c>evals runs rescore RUN_ID</c>: queues a new run that scores the source run's stored outputs with today's rules,
/// linked to it by <see cref="Run.RescoredFrom"/>. It is an ordinary run of the same model, suite version and
/// configuration, executed by <see cref="EvaluateRunJob"/> (durable, recoverable, cancellable, idempotent), which
/// calls no model for it (<see cref="StoredOutputs"/>). Rescoring twice makes two runs, each complete: the rules may
/// have changed in between.
/// </summary>
public sealed class RunRescorer(IDbContextFactory<EvalsDbContext> dbFactory, ISchedulerFactory schedulers, TimeProvider time)
{
    /// <summary>Checks everything before writing: bad input is a <see cref="BadInputException"/> and nothing is queued.</summary>
    public async Task<Run> SubmitAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (!Guid.TryParse(runId.Trim(), out var sourceId))
            throw new BadInputException($"'{runId}' is not a run id (a UUID such as 0193a6f2-1c2b-7d4e-9f00-1234567890ab; see `evals runs list`)");
        Run run;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var source = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == sourceId, cancellationToken)
                ?? throw new BadInputException($"no run with id {sourceId} (see `evals runs list`)");
            if (source.Status is RunStatus.Queued or RunStatus.Running)
                throw new BadInputException($"run {sourceId} is {source.Status.ToString().ToLowerInvariant()}; re-score it once it has ended");
            var stored = await db.Results.CountAsync(r => r.RunId == sourceId, cancellationToken);
            if (stored == 0) throw new BadInputException($"run {sourceId} has no stored results to re-score");
            if (await db.Results.CountAsync(r => r.RunId == sourceId && r.Outcome != "error", cancellationToken) == 0)
                throw new BadInputException($"run {sourceId} has no stored outputs to re-score: all {stored} of its results are errors (`evals runs retry {sourceId}` asks the model again)");
            var now = time.GetUtcNow();
            run = new Run
            {
                Id = Guid.CreateVersion7(now),
                ModelId = source.ModelId,
                ModelName = source.ModelName,
                ModelSpec = source.ModelSpec,
                SuiteId = source.SuiteId,
                Config = source.Config,
                Status = RunStatus.Queued,
                TotalItems = source.TotalItems,
                CreatedAt = now,
                RescoredFrom = sourceId,
            };
            db.Runs.Add(run);
            await db.SaveChangesAsync(cancellationToken);
        }
        try
        {
            await RunScheduling.EnqueueAsync(await schedulers.GetScheduler(cancellationToken), run.Id, cancellationToken);
        }
        catch
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.Runs.Where(r => r.Id == run.Id).ExecuteDeleteAsync(CancellationToken.None);
            throw;
        }
        return run;
    }

    /// <summary>What a finished re-scoring did, item by item against its source.</summary>
    public async Task<RescoreReport> ReportAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var sourceId = await db.Runs.Where(r => r.Id == runId).Select(r => r.RescoredFrom).SingleAsync(cancellationToken)
            ?? throw new BadInputException($"run {runId} is not a re-scoring");
        var notes = await db.Database.SqlQuery<RescoreNoteCount>($"""
            select coalesce(details->>{StoredOutputs.RescoreKey}, '') as "Note", count(*)::int as "Count"
            from results where run_id = {runId} group by 1
            """).ToListAsync(cancellationToken);
        var changed = await db.Database.SqlQuery<int>($"""
            select count(*)::int as "Value"
            from results n join results s on s.run_id = {sourceId} and s.task_id = n.task_id and s.item_key = n.item_key
            where n.run_id = {runId} and (n.outcome <> s.outcome or n.score <> s.score)
            """).SingleAsync(cancellationToken);
        return new RescoreReport(notes.Where(n => n.Note == StoredOutputs.Scored).Sum(n => n.Count),
            notes.Where(n => n.Note != StoredOutputs.Scored).ToDictionary(n => n.Note.Length == 0 ? "copied" : n.Note, n => n.Count), changed);
    }

    /// <summary>The re-scorings of a run, newest first: what its page links to.</summary>
    public async Task<IReadOnlyList<(Guid Id, RunStatus Status, DateTimeOffset CreatedAt)>> RescoringsOfAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Runs.AsNoTracking().Where(r => r.RescoredFrom == runId).OrderByDescending(r => r.CreatedAt)
            .Select(r => new { r.Id, r.Status, r.CreatedAt }).ToListAsync(cancellationToken);
        return rows.Select(r => (r.Id, r.Status, r.CreatedAt)).ToList();
    }
}

internal sealed record RescoreNoteCount(string Note, int Count);
