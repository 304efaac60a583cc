using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.V1;

/// <summary>The key a request was authenticated with (never the key itself).</summary>
public sealed record AuthenticatedKey(Guid Id, string Name, int? RequestsPerMinute);

/// <summary>How an API answers a refused key, in its own error shape: 401 (no key, unknown or revoked) or 403 (another scope).</summary>
public delegate IResult ApiKeyRefusal(int status, string message);

/// <summary>
/// Bearer-key authentication for one path prefix and scope: the key's SHA-256 is looked up among unrevoked keys of that
/// scope. Runs before the rate limiter, which partitions by the key found here. Each API passes its own error shape. An
/// API whose writes check the key again themselves passes a <see cref="RecheckedKeyCache"/>, and a key found there is not
/// looked up.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IDbContextFactory<EvalsDbContext> dbFactory, string scope, ApiKeyRefusal refuse, RecheckedKeyCache? cache = null)
{
    public const string ItemKey = "evals.api_key";

    public async Task InvokeAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            await refuse(StatusCodes.Status401Unauthorized, "Missing API key: send 'Authorization: Bearer <key>' (keys come from `evals keys create`).").ExecuteAsync(context);
            return;
        }
        var hash = ApiKey.HashOf(header[7..].Trim());
        if (cache?.Find(hash) is { } known)
        {
            context.Items[ItemKey] = known;
            await next(context);
            return;
        }
        await using var db = await dbFactory.CreateDbContextAsync(context.RequestAborted);
        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Select(k => new { k.Id, k.Name, k.Scope, k.RequestsPerMinute })
            .FirstOrDefaultAsync(context.RequestAborted);
        if (key is null)
        {
            await refuse(StatusCodes.Status401Unauthorized, "Incorrect API key provided.").ExecuteAsync(context);
            return;
        }
        if (key.Scope != scope)
        {
            await refuse(StatusCodes.Status403Forbidden, $"This key's scope is '{key.Scope}'; this API needs a '{scope}' key.").ExecuteAsync(context);
            return;
        }
        var found = new AuthenticatedKey(key.Id, key.Name, key.RequestsPerMinute);
        cache?.Remember(hash, found);
        context.Items[ItemKey] = found;
        await next(context);
    }
}
