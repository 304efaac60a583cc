using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Evals.Runner.Cli;

/// <summary>A run to wait for and the label its progress line carries.</summary>
internal sealed record WaitedRun(Guid Id, string Label);

/// <summary>
/// Submitting runs and waiting for them with progress, shared by <c>run --wait</c>, <c>gate</c> and <c>ab run</c>. The
/// verb's host runs a worker in-process (unless told not to), so waiting also executes the runs.
/// </summary>
internal static class RunWaiter
{
    /// <summary>Submits runs already validated (so bad input has written nothing), then waits for all of them.</summary>
    public static async Task<IReadOnlyList<(Run Run, RunStatus Status)>> SubmitAndWaitAsync(
        IServiceProvider services, IReadOnlyList<(ValidatedRun Run, string Label)> requests, CancellationToken cancellationToken)
    {
        if (requests.Count == 0) return [];
        var submitter = services.GetRequiredService<RunSubmitter>();
        var runs = new List<Run>();
        foreach (var (validated, label) in requests)
        {
            var run = await submitter.SubmitValidatedAsync(validated, cancellationToken);
            Console.Error.WriteLine($"Run {run.Id} ({label}): {run.ModelName} on {validated.Suite.Name}, {run.TotalItems} items");
            runs.Add(run);
        }
        var statuses = await WaitAsync(services, runs.Select((r, i) => new WaitedRun(r.Id, requests[i].Label)).ToList(), cancellationToken);
        return runs.Select((r, i) => (r, statuses[i])).ToList();
    }

    /// <summary>Polls the runs until each has ended; returns their final statuses in the order given.</summary>
    public static async Task<IReadOnlyList<RunStatus>> WaitAsync(IServiceProvider services, IReadOnlyList<WaitedRun> runs, CancellationToken cancellationToken)
    {
        var dbFactory = services.GetRequiredService<IDbContextFactory<EvalsDbContext>>();
        var ids = runs.Select(r => r.Id).ToList();
        async Task<IReadOnlyList<Run>> ReadAsync()
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var rows = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, cancellationToken);
            return ids.Select(id => rows[id]).ToList();
        }
        static bool Finished(Run r) => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled;
        string Prefix(int i) => runs.Count == 1 ? "" : $" {runs[i].Label}";

        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Plain progress lines for logs and CI.
            var last = runs.Select(_ => -1).ToArray();
            while (true)
            {
                var rows = await ReadAsync();
                for (var i = 0; i < rows.Count; i++)
                {
                    if (rows[i].CompletedItems == last[i]) continue;
                    var engine = EngineProgress.From(rows[i].BackendReport);
                    Console.Error.WriteLine($"progress{Prefix(i)}: {rows[i].CompletedItems}/{rows[i].TotalItems} items ({rows[i].Status.ToString().ToLowerInvariant()})"
                        + (engine.Length > 0 ? $"; {engine}" : ""));
                    last[i] = rows[i].CompletedItems;
                }
                if (rows.All(Finished)) return rows.Select(r => r.Status).ToList();
                await Task.Delay(500, cancellationToken);
            }
        }
        IReadOnlyList<RunStatus> statuses = [];
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var bars = runs.Select(_ => context.AddTask("queued", maxValue: 1)).ToList();
                while (true)
                {
                    var rows = await ReadAsync();
                    for (var i = 0; i < rows.Count; i++)
                    {
                        bars[i].MaxValue = Math.Max(1, rows[i].TotalItems);
                        bars[i].Value = rows[i].CompletedItems;
                        var engine = EngineProgress.From(rows[i].BackendReport);
                        bars[i].Description = Markup.Escape($"{Prefix(i).Trim()} {rows[i].Status.ToString().ToLowerInvariant()} {rows[i].CompletedItems}/{rows[i].TotalItems}{(engine.Length > 0 ? $" ({engine})" : "")}".Trim());
                    }
                    if (rows.All(Finished))
                    {
                        statuses = rows.Select(r => r.Status).ToList();
                        return;
                    }
                    await Task.Delay(250, cancellationToken);
                }
            });
        return statuses;
    }
}
