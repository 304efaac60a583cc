using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Evals.Web.Arena;

public static class ArenaServices
{
    public static IServiceCollection AddArena(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Arena").Get<ArenaOptions>() ?? new ArenaOptions();
        options.Validate();
        services.AddSingleton(options);
        services.TryAddSingleton<Hosting.SharedLimitCounters>();
        services.AddSingleton<ArenaLimits>();
        services.AddSingleton<ArenaBattles>();
        services.AddSingleton<ArenaVoting>();
        services.AddSingleton<ArenaQueries>();
        services.AddSingleton<PromptBank>();
        // The arena page reads the visitor cookie from the circuit's connection.
        services.AddHttpContextAccessor();
        return services;
    }
}
