using System.Security.Claims;
using Evals.Storage;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Admin;

/// <summary>
/// An interactive (Blazor Server) circuit keeps the authentication state it started with; the cookie's own check runs
/// only on HTTP requests. This provider re-checks the session's key every <see cref="RevalidationInterval"/>: once the
/// key is revoked (or the claim is gone), the circuit's user becomes anonymous and <c>[Authorize]</c> pages stop
/// rendering. Handlers that change data do not wait for that: they call <see cref="AdminGuard"/> first.
/// </summary>
public sealed class AdminSessionRevalidator(ILoggerFactory loggerFactory, IDbContextFactory<EvalsDbContext> dbFactory, IConfiguration configuration)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue("Admin:RevalidateSeconds", 30), 1, 3600));

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var id = authenticationState.User.FindFirstValue(AdminAuth.KeyIdClaim);
        return id is null // an anonymous visitor stays anonymous
            || await AdminGuard.IsActiveAdminKeyAsync(dbFactory, id, cancellationToken);
    }
}

/// <summary>
/// The check every data-changing handler of an admin page makes before it acts: the circuit's user still holds an
/// unrevoked admin key, asked of the database now, not when the page was opened.
/// </summary>
public sealed class AdminGuard(AuthenticationStateProvider authentication, IDbContextFactory<EvalsDbContext> dbFactory)
{
    public const string Refusal = "你的管理员会话已失效 Your admin session has ended (key revoked, signed out or expired): sign in again.";

    /// <summary>The signed-in admin's name, or null when the session no longer carries admin rights.</summary>
    public async Task<string?> CurrentAdminAsync(CancellationToken cancellationToken = default)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var id = user.FindFirstValue(AdminAuth.KeyIdClaim);
        return id is not null && await IsActiveAdminKeyAsync(dbFactory, id, cancellationToken) ? user.Identity?.Name ?? "admin" : null;
    }

    internal static async Task<bool> IsActiveAdminKeyAsync(IDbContextFactory<EvalsDbContext> dbFactory, string id, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var keyId)) return false;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.AnyAsync(k => k.Id == keyId && k.Scope == "admin" && k.RevokedAt == null, cancellationToken);
    }
}
