using Evals.Benchmarks.Suites;
using Evals.Runner.Arena;
using Evals.Runner.Backends;
using Evals.Runner.Feedback;
using Evals.Runner.Jobs;
using Evals.Runner.Runs;
using Evals.Runner.Suites;
using Evals.Storage.Schema;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace Evals.Runner;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Run submission, control and summaries, and the clustered Quartz scheduler on PostgreSQL. With
    /// <c>Runner:Enabled</c> (the default) this process is also a worker: it joins the cluster and executes runs.
    /// Without it the scheduler is only used to enqueue, never started.
    /// </summary>
    public static IHostApplicationBuilder AddRunner(this IHostApplicationBuilder builder, string connectionString, bool? worker = null)
    {
        var options = builder.Configuration.GetSection("Runner").Get<RunnerOptions>() ?? new RunnerOptions();
        if (worker is { } w) options.Enabled = w;
        if (options.Concurrency < 1) throw new InvalidOperationException($"Runner:Concurrency must be at least 1 (got {options.Concurrency})");
        if (options.ShardItems < 1) throw new InvalidOperationException($"Runner:ShardItems must be at least 1 (got {options.ShardItems})");
        if (options.ModelsPerDevice < 1) throw new InvalidOperationException($"Runner:ModelsPerDevice must be at least 1 (got {options.ModelsPerDevice})");
        var arena = builder.Configuration.GetSection("Arena").Get<ArenaRatingOptions>() ?? new ArenaRatingOptions();
        arena.Validate();
        var services = builder.Services;
        services.AddSingleton(options);
        var judge = builder.Configuration.GetSection("Judge").Get<Hallucination.JudgeOptions>() ?? new Hallucination.JudgeOptions();
        if (judge.MinKappa is < -1 or > 1) throw new InvalidOperationException($"Judge:MinKappa must be in [-1, 1] (got {judge.MinKappa})");
        if (judge.MaxTokens < 1) throw new InvalidOperationException($"Judge:MaxTokens must be at least 1 (got {judge.MaxTokens})");
        services.AddSingleton(judge);
        services.AddSingleton<Hallucination.JudgeChecks>();
        services.AddSingleton(arena);
        services.AddSingleton(new SuiteCatalog(SuiteCatalog.FindDatasetsRoot(options.Datasets)));
        services.AddSingleton<EndpointBudgets>();
        services.AddSingleton<BackendFactory>();
        services.AddSingleton<SharedBackends>();
        services.AddSingleton<DeviceBudget>();
        services.AddSingleton<Backends.Caching.ResponseCache>();
        services.AddSingleton<DatabaseRetry>();
        services.AddSingleton<SuiteStore>();
        services.AddSingleton<LoadedSuites>();
        services.AddSingleton<RegressionSuites>();
        services.AddSingleton<ModelResolver>();
        services.AddSingleton<RunSubmitter>();
        services.AddSingleton<RunControl>();
        services.AddSingleton<Rescoring.RunRescorer>();
        services.AddSingleton<RunSummaryQuery>();
        services.AddSingleton<Leaderboards.LeaderboardQueries>();
        var checks = builder.Configuration.GetSection("OnlineChecks").Get<OnlineChecksOptions>() ?? new OnlineChecksOptions();
        checks.Validate();
        services.AddSingleton(checks);
        services.AddSingleton<OnlineChecks>();
        services.AddSingleton<ModelRegistration>();

        builder.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = "evals";
                s.IdleWaitTime = TimeSpan.FromSeconds(1);
            });
            q.UseDefaultThreadPool(options.Concurrency + 1);
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.ConfigureStore(s =>
                {
                    s.TablePrefix = QuartzSchema.TablePrefix;
                    // A shutdown hands the run's firing back for recovery instead of dropping it.
                    s.RecoverFiringsCancelledByShutdown = true;
                    s.DbRetryInterval = TimeSpan.FromSeconds(2);
                });
                store.UseClustering(c =>
                {
                    c.CheckinInterval = TimeSpan.FromMilliseconds(options.CheckinIntervalMs);
                    c.CheckinMisfireThreshold = TimeSpan.FromMilliseconds(options.CheckinMisfireThresholdMs);
                });
            });
            // Durable, so any node (a web-only one too) can trigger it on demand.
            q.AddJob<ArenaRatingsJob>(j => j.WithIdentity(ArenaRatingsJob.Key).StoreDurably());
            if (options.Enabled)
                q.AddTrigger(t => t.ForJob(ArenaRatingsJob.Key).WithIdentity("arena-ratings", "arena")
                    .StartNow().WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(arena.RatingsIntervalSeconds)).RepeatForever()));
            if (options.Enabled)
                q.ScheduleJob<RunJanitorJob>(t => t
                    .WithIdentity("run-janitor", "maintenance")
                    .StartNow()
                    .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(15)).RepeatForever()), j => j.WithIdentity(RunJanitorJob.Key));
            if (options.Enabled && checks.Enabled)
                q.ScheduleJob<OnlineChecksJob>(t => t
                    .WithIdentity("online-checks", "feedback")
                    .StartNow()
                    .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(checks.IntervalSeconds)).RepeatForever()), j => j.WithIdentity(OnlineChecksJob.Key));
        });
        if (options.Enabled)
            builder.AddQuartzHostedService(o => o.WaitForJobsToComplete = false);
        return builder;
    }
}
