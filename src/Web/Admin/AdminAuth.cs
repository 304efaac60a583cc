using System.Security.Claims;
using Evals.Storage;
using Evals.Web.Api;
using Evals.Storage.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Admin;

/// <summary>
/// Sign-in for the admin pages with an API key of scope <c>admin</c> (<c>evals keys create --scope admin</c>): the
/// key is checked against its stored hash, and the session cookie carries the key's id, never the key. Revoking the
/// key ends every session signed in with it on the next request. Public pages need no sign-in.
/// </summary>
public static class AdminAuth
{
    public const string Policy = "admin";
    public const string KeyIdClaim = "evals:key_id";
    public const string SignInPath = "/admin/signin";

    public static IServiceCollection AddAdminAuth(this IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie = new SecureOutsideLoopbackCookie();
            o.Cookie.Name = "evals_admin";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.LoginPath = SignInPath;
            o.AccessDeniedPath = SignInPath;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = async context =>
            {
                var id = context.Principal?.FindFirstValue(KeyIdClaim);
                var dbFactory = context.HttpContext.RequestServices.GetRequiredService<IDbContextFactory<EvalsDbContext>>();
                await using var db = await dbFactory.CreateDbContextAsync(context.HttpContext.RequestAborted);
                var active = Guid.TryParse(id, out var keyId) &&
                    await db.ApiKeys.AnyAsync(k => k.Id == keyId && k.Scope == "admin" && k.RevokedAt == null, context.HttpContext.RequestAborted);
                if (!active)
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                }
            };
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.RequireAuthenticatedUser().RequireClaim(KeyIdClaim));
        services.AddCascadingAuthenticationState();
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, AdminSessionRevalidator>();
        services.AddScoped<AdminGuard>();
        return services;
    }

    public static IEndpointRouteBuilder MapAdminAuth(this IEndpointRouteBuilder app)
    {
        // Plain form posts from the sign-in page; antiforgery is validated for form-bound endpoints by UseAntiforgery.
        app.MapPost(SignInPath, async ([FromForm(Name = "key")] string? key, [FromForm(Name = "return_url")] string? returnUrl,
            HttpContext http, IDbContextFactory<EvalsDbContext> dbFactory, ILogger<SignInLog> log) =>
        {
            var target = SafeReturnUrl(returnUrl);
            if (string.IsNullOrWhiteSpace(key))
                return Results.Redirect($"{SignInPath}?error=missing&return_url={Uri.EscapeDataString(target)}");
            var hash = ApiKey.HashOf(key.Trim());
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            var found = await db.ApiKeys.AsNoTracking().Where(k => k.Hash == hash && k.RevokedAt == null)
                .Select(k => new { k.Id, k.Name, k.Scope }).FirstOrDefaultAsync(http.RequestAborted);
            if (found is null || found.Scope != "admin")
            {
                log.LogWarning("admin sign-in refused from {Ip}: {Reason}", http.Connection.RemoteIpAddress, found is null ? "unknown or revoked key" : $"key scope '{found.Scope}'");
                return Results.Redirect($"{SignInPath}?error={(found is null ? "unknown" : "scope")}&return_url={Uri.EscapeDataString(target)}");
            }
            var identity = new ClaimsIdentity(
                [new Claim(ClaimTypes.Name, found.Name), new Claim(KeyIdClaim, found.Id.ToString())],
                CookieAuthenticationDefaults.AuthenticationScheme);
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
            log.LogInformation("admin '{Name}' signed in", found.Name);
            return Results.Redirect(target);
        });
        app.MapPost("/admin/signout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/");
        });
        return app;
    }

    /// <summary>
    /// For API endpoints that change state (start, cancel, retry runs): an admin session cookie, or
    /// <c>Authorization: Bearer</c> with an unrevoked admin key. Anything else is a 401 (no or unknown key) or 403 (a key
    /// of another scope) in problem-details form; reading stays public.
    /// </summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.SecuredBy(ApiSecurity.AdminKey).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.User.HasClaim(c => c.Type == KeyIdClaim)) return await next(context);
            var header = http.Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
                return Results.Problem("This endpoint changes state and needs an admin: send 'Authorization: Bearer <key>' with a key from `evals keys create --scope admin`, or sign in at /admin/signin.",
                    statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
            var hash = ApiKey.HashOf(header[7..].Trim());
            var dbFactory = http.RequestServices.GetRequiredService<IDbContextFactory<EvalsDbContext>>();
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            var scope = await db.ApiKeys.AsNoTracking().Where(k => k.Hash == hash && k.RevokedAt == null).Select(k => k.Scope).FirstOrDefaultAsync(http.RequestAborted);
            return scope switch
            {
                "admin" => await next(context),
                null => Results.Problem("Unknown or revoked API key.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized"),
                _ => Results.Problem($"This key's scope is '{scope}'; this endpoint needs an 'admin' key.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"),
            };
        });

    /// <summary>Whether the request carries admin rights (a validated admin session, or a Bearer key of scope admin); for reads that only admins may see.</summary>
    public static async Task<bool> IsAdminRequestAsync(HttpContext http)
    {
        if (http.User.HasClaim(c => c.Type == KeyIdClaim)) return true;
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7) return false;
        var hash = ApiKey.HashOf(header[7..].Trim());
        var dbFactory = http.RequestServices.GetRequiredService<IDbContextFactory<EvalsDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
        return await db.ApiKeys.AnyAsync(k => k.Hash == hash && k.RevokedAt == null && k.Scope == "admin", http.RequestAborted);
    }

    /// <summary>
    /// Only local paths, so a crafted link cannot bounce a fresh session to another site. The framework's local-URL check (the one LocalRedirect uses) refuses <c>//host</c>, <c>/\host</c> and control
    /// characters such as the tab in <c>/%09/evil.example</c>, which browsers strip (making it <c>//evil.example</c>);
    /// a backslash anywhere is refused too, since browsers read it as a slash.
    /// </summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult.IsLocalUrl(returnUrl)
            && !returnUrl.Contains('\\') && !returnUrl.Any(char.IsControl)
            ? returnUrl
            : "/admin";

    /// <summary>
    /// The session cookie is <c>Secure</c> for every client but a loopback one, whatever the scheme the app sees: behind
    /// a TLS-terminating proxy the app sees http, and <c>SameAsRequest</c> would send the cookie in clear. (The client's
    /// address is the forwarded one when a trusted proxy sends X-Forwarded-For; see <c>UseProxyHeaders</c>.)
    /// </summary>
    private sealed class SecureOutsideLoopbackCookie : RequestPathBaseCookieBuilder
    {
        public SecureOutsideLoopbackCookie()
        {
            SameSite = SameSiteMode.Lax;
            HttpOnly = true;
            SecurePolicy = CookieSecurePolicy.SameAsRequest;
            IsEssential = true;
        }

        public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
        {
            var options = base.Build(context, expiresFrom);
            if (context.Connection.RemoteIpAddress is not { } ip || !System.Net.IPAddress.IsLoopback(ip)) options.Secure = true;
            return options;
        }
    }

    /// <summary>Log category for sign-in attempts.</summary>
    public sealed class SignInLog;
}
