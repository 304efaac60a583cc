using Evals.Storage;
using Evals.Storage.Keys;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Evals.Web.Hosting;

/// <summary>
/// One data-protection key ring for every web node, in PostgreSQL and encrypted at rest, so admin sessions and antiforgery
/// tokens issued by one node are honoured by the others and survive restarts. Without a secret to encrypt it (no
/// <c>DataProtection:KeySecret</c> and no database password) the key ring stays the framework's per-node default, and
/// the startup log says so rather than storing keys in plain text.
/// </summary>
public static class SharedKeyRing
{
    // One application name on every node: by default the discriminator is the content root, which differs between hosts.
    private const string ApplicationName = "Evals";

    public static IServiceCollection AddSharedKeyRing(this IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        var secret = KeyRingSecret.From(configuration["DataProtection:KeySecret"], connectionString);
        if (secret is null)
        {
            services.AddHostedService<PerNodeKeyRingWarning>();
            return services;
        }
        services.AddSingleton(secret);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new PostgresXmlRepository(sp.GetRequiredService<IDbContextFactory<EvalsDbContext>>());
            o.XmlEncryptor = new KeyRingEncryptor(secret);
        }));
        return services;
    }

    private sealed class PerNodeKeyRingWarning(ILogger<PerNodeKeyRingWarning> log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            log.LogWarning("Data-protection keys stay on this node: no DataProtection:KeySecret and no database password to encrypt them with. Admin sessions and antiforgery tokens will not cross web nodes or survive a restart.");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
