using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Evals.Storage;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the context factory over an already resolved connection string (see <see cref="DatabaseLocator"/>).</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(new StorageConnection(connectionString));
        services.AddDbContextFactory<EvalsDbContext>(o => o.UseNpgsql(connectionString));
        services.AddSingleton(TimeProvider.System);
        return services;
    }
}

/// <summary>The resolved connection string, for code that talks to Npgsql directly (COPY, Quartz).</summary>
public sealed record StorageConnection(string ConnectionString);
