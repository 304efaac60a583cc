using System.Globalization;
using System.Threading.RateLimiting;
using Evals.Web.Admin;
using Microsoft.AspNetCore.RateLimiting;

namespace Evals.Web.Hosting;

/// <summary>
/// The per-address limit on anonymous requests that compute (run summaries and results, comparisons, experiment
/// reports, the feedback summary, the leaderboard): <c>HeavyRequests:PerMinutePerAddress</c> per fixed window of
/// <c>HeavyRequests:WindowSeconds</c>, answered 429 with Retry-After. Admins (session or Bearer admin key) are not
/// limited: they are trusted with starting whole runs. The address is the forwarded one only behind a trusted proxy.
/// </summary>
public static class HeavyRequests
{
    public const string Policy = "heavy-per-address";
    private const string AdminItem = "evals:heavy-admin";

    public static IServiceCollection AddHeavyRequests(this IServiceCollection services, IConfiguration configuration)
    {
        var permits = configuration.GetValue("HeavyRequests:PerMinutePerAddress", 120);
        var seconds = configuration.GetValue("HeavyRequests:WindowSeconds", 60);
        if (permits < 1) throw new InvalidOperationException($"HeavyRequests:PerMinutePerAddress must be at least 1 (got {permits})");
        if (seconds < 1) throw new InvalidOperationException($"HeavyRequests:WindowSeconds must be at least 1 (got {seconds})");
        services.AddRateLimiter(o => o.AddPolicy(Policy, new Limit(permits, TimeSpan.FromSeconds(seconds))));
        return services;
    }

    /// <summary>
    /// Whether a request to a limited endpoint carries admin rights, asked before the limiter (whose partitioner cannot
    /// wait on the database); call after <c>UseAuthentication</c> and before <c>UseRateLimiter</c>.
    /// </summary>
    public static IApplicationBuilder UseHeavyRequestAdmins(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>() is { PolicyName: Policy })
            context.Items[AdminItem] = await AdminAuth.IsAdminRequestAsync(context);
        await next(context);
    });

    private sealed class Limit(int permitsPerWindow, TimeSpan window) : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => async (rejected, _) =>
        {
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window;
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await TypedResults.Problem($"too many requests from this address to pages and APIs that compute; retry after {seconds} s",
                statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests").ExecuteAsync(rejected.HttpContext);
        };

        public RateLimitPartition<string> GetPartition(HttpContext httpContext)
        {
            if (httpContext.Items[AdminItem] is true) return RateLimitPartition.GetNoLimiter("admin");
            var address = httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            return RateLimitPartition.GetFixedWindowLimiter($"heavy:{address}", _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permitsPerWindow,
                Window = window,
                QueueLimit = 0,
            });
        }
    }
}
