using Evals.Runner;
using Evals.Runner.Runs;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Runs;

/// <summary>
/// On the embedded default with an empty database, queues the three baselines on the smoke suite, so that a first
/// start shows real runs (and every later leaderboard its chance lines). Set <c>Evals:SeedSmokeRuns=false</c> to skip.
/// </summary>
public sealed class SmokeRunSeeder(IDbContextFactory<EvalsDbContext> dbFactory, RunSubmitter submitter, RunnerOptions options, ILogger<SmokeRunSeeder> logger)
    : BackgroundService
{
    private static readonly string[] Baselines = ["baseline:majority", "baseline:random?seed=1", "baseline:first"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled) return;
        await using (var db = await dbFactory.CreateDbContextAsync(stoppingToken))
            if (await db.Runs.AnyAsync(stoppingToken))
            {
                logger.LogInformation("Smoke runs not queued: the database already holds runs");
                return;
            }
        foreach (var model in Baselines)
        {
            var run = await submitter.SubmitAsync(new RunRequest(model, "smoke", new RunConfig()), stoppingToken);
            logger.LogInformation("Queued smoke run {RunId} for {Model}", run.Id, model);
        }
    }
}
