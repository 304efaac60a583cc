using System.Net;
using Evals.Web.Api;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;

namespace Evals.Web.Hosting;

/// <summary>
/// What every request passes first: the client's real address and scheme from a trusted proxy, error pages that show
/// no stack trace to anyone but the machine itself, and the query-string text rule.
/// </summary>
public static class EdgeProtection
{
    public static IServiceCollection AddEdgeProtection(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            // Only proxies on this machine (the framework's default: loopback) are believed, or, once the operator names
            // any (ForwardedHeaders__KnownProxies__0=10.0.0.5, ForwardedHeaders__KnownNetworks__0=10.0.0.0/24), only
            // those; anyone else's X-Forwarded-For is ignored. The arena's per-address limits count the result.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            var proxies = configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [];
            var networks = configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [];
            if (proxies.Length + networks.Length == 0) return;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            for (var i = 0; i < proxies.Length; i++)
                o.KnownProxies.Add(IPAddress.TryParse(proxies[i], out var proxy) ? proxy
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies:{i} must be an IP address (got '{proxies[i]}')"));
            for (var i = 0; i < networks.Length; i++)
                o.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(networks[i], out var network) ? network
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks:{i} must be a network such as 10.0.0.0/24 (got '{networks[i]}')"));
        });
        // A value the framework cannot bind (take=abc) is a 400 in every environment, not an exception that Development
        // throws and logs as unhandled.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        return services;
    }

    public static WebApplication UseEdgeProtection(this WebApplication app)
    {
        app.UseForwardedHeaders();
        // Development shows the developer exception page (WebApplication adds it first), but only to loopback
        // clients: everyone else, and every client in Production, gets the plain error page.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = "/error",
            CreateScopeForErrors = true,
            // A malformed value the framework itself refuses (a non-number for an int parameter) stays a 400.
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        if (app.Environment.IsDevelopment()) app.UseWhen(IsLoopback, b => b.UseDeveloperExceptionPage());
        app.UseQueryTextRule();
        return app;
    }

    public static bool IsLoopback(HttpContext context) => context.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip);
}
