using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Evals.Web.Health;

/// <summary><c>/healthz</c>: the database and the scheduler, as JSON; 503 when either is down.</summary>
public static class HealthEndpoint
{
    public static IEndpointRouteBuilder MapHealthEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", async (IDbContextFactory<EvalsDbContext> dbFactory, ISchedulerFactory schedulers, Evals.Runner.RunnerOptions runner, CancellationToken ct) =>
        {
            object database;
            var healthy = true;
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).Count();
                database = new { status = pending == 0 ? "ok" : "migrations pending", pending_migrations = pending };
                healthy &= pending == 0;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                database = new { status = "unreachable", error = e.Message };
                healthy = false;
            }
            object scheduler;
            try
            {
                var s = await schedulers.GetScheduler(ct);
                var worker = runner.Enabled;
                var status = await s.GetStatus(ct);
                var running = status == SchedulerStatus.Running;
                scheduler = new { status = !worker ? "enqueue-only (Runner:Enabled=false)" : status.ToString().ToLowerInvariant(), instance_id = s.SchedulerInstanceId, worker };
                healthy &= !worker || running;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                scheduler = new { status = "error", error = e.Message };
                healthy = false;
            }
            return Results.Json(new { status = healthy ? "healthy" : "unhealthy", database, scheduler },
                statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }
}
