using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Evals.Runner.Jobs;

/// <summary>
/// Retries database work through an outage (server restart, dropped connections) for up to the configured budget.
/// Each retried operation must be safe to repeat: a transaction that either committed or did not.
/// </summary>
public sealed class DatabaseRetry
{
    private readonly ResiliencePipeline _pipeline;

    public DatabaseRetry(RunnerOptions options, ILogger<DatabaseRetry> logger)
    {
        var budget = TimeSpan.FromSeconds(Math.Max(1, options.DatabaseRetrySeconds));
        _pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e)),
                MaxRetryAttempts = (int)Math.Ceiling(budget.TotalSeconds) + 1,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(2),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger.LogWarning("Database unavailable ({Error}); retry {Attempt}", args.Outcome.Exception?.Message, args.AttemptNumber + 1);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(budget + TimeSpan.FromSeconds(30))
            .Build();
    }

    public ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(operation, cancellationToken);

    public ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> operation, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(operation, cancellationToken);

    public static bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    // 08: connection exceptions; 57P01-57P03: the server is shutting down or starting; 53: resources.
                    return pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P0", StringComparison.Ordinal)
                        || pg.SqlState.StartsWith("53", StringComparison.Ordinal) || pg.IsTransient;
                case NpgsqlException npgsql when npgsql.IsTransient:
                case SocketException or IOException or TimeoutException:
                    return true;
            }
        }
        return false;
    }
}
