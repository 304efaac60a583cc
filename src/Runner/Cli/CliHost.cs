using Evals.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Evals.Runner.Cli;

/// <summary>Builds the host a CLI verb runs in: resolve the database (embedded by default), migrate, wire services.</summary>
internal static class CliHost
{
    public static async Task<IHost> CreateAsync(bool worker, bool verbose, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        builder.Logging.AddFilter("Quartz", verbose ? LogLevel.Information : LogLevel.Error);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        // Logs go to stderr so that stdout carries only what the verb prints.
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

        var connectionString = await ConnectAsync(builder.Configuration, cancellationToken);
        builder.Services.AddStorage(connectionString);
        builder.AddRunner(connectionString, worker ? null : false);
        builder.AddTelemetry(worker ? "evals-worker" : "evals-cli");
        return builder.Build();
    }

    private static async Task<string> ConnectAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        var options = DatabaseLocator.ReadOptions(configuration);
        var connectionString = await DatabaseLocator.ResolveAsync(options, message => Console.Error.WriteLine(message), cancellationToken);
        try
        {
            await Migrator.MigrateAsync(connectionString, cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException || e.InnerException is Npgsql.NpgsqlException)
        {
            var csb = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            var what = e is Npgsql.PostgresException || e.InnerException is Npgsql.PostgresException ? "the database refused the schema migration" : "cannot reach the database";
            throw new DatabaseUnavailableException($"{what} at {csb.Host}:{csb.Port} (database '{csb.Database}'): {Innermost(e).Message}");
        }
        return connectionString;
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}

/// <summary>The database could not be reached: exit code 1, nothing written.</summary>
internal sealed class DatabaseUnavailableException(string message) : Exception(message);
