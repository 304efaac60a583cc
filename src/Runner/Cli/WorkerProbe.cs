using Evals.Storage;
using Evals.Storage.Schema;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Evals.Runner.Cli;

/// <summary>
/// <c>evals worker --probe</c>: asks the cluster whether the worker started on this host (its node id is in the node
/// file) has checked in within three check-in intervals. A container health check that only ran <c>dotnet --version</c>
/// would pass whatever the worker did; this one fails when the worker is stuck, cut off from the database or gone.
/// </summary>
internal static class WorkerProbe
{
    public static string NodeFile(string? option, IConfiguration configuration) =>
        option ?? configuration["Runner:NodeFile"] ?? Path.Combine(Path.GetTempPath(), "evals-worker.node");

    public static async Task<int> RunAsync(string? nodeFileOption, CancellationToken ct)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var file = NodeFile(nodeFileOption, configuration);
        if (!File.Exists(file))
        {
            Console.Error.WriteLine($"unhealthy: no worker has started on this host (no node file {file})");
            return ExitCodes.Failed;
        }
        var node = (await File.ReadAllTextAsync(file, ct)).Trim();
        try
        {
            var connectionString = await DatabaseLocator.ResolveAsync(DatabaseLocator.ReadOptions(configuration), _ => { }, ct);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(
                $"select last_checkin_time, checkin_interval from {QuartzSchema.TablePrefix}scheduler_state where instance_name = @node", connection);
            command.Parameters.AddWithValue("node", node);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                Console.Error.WriteLine($"unhealthy: node {node} is not checked in with the cluster");
                return ExitCodes.Failed;
            }
            var lastCheckin = new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero);
            var interval = TimeSpan.FromMilliseconds(reader.GetInt64(1));
            var age = TimeProvider.System.GetUtcNow() - lastCheckin;
            var allowed = TimeSpan.FromTicks(interval.Ticks * 3) + TimeSpan.FromSeconds(2);
            if (age > allowed)
            {
                Console.Error.WriteLine($"unhealthy: node {node} last checked in {age.TotalSeconds:0.#} s ago (allowed {allowed.TotalSeconds:0.#} s)");
                return ExitCodes.Failed;
            }
            Console.WriteLine($"healthy: node {node} checked in {Math.Max(0, age.TotalSeconds):0.#} s ago");
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            Console.Error.WriteLine($"unhealthy: cannot reach the database: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
