using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.V1;

/// <summary>The key a request was authenticated with (never the key itself).</summary>
public sealed record AuthenticatedKey(Guid Id, string Name, int? RequestsPerMinute);

/// <summary>
/// Bearer-key authentication for one path prefix and scope: the key's SHA-256 is looked up among unrevoked keys of that
/// scope. Runs before the rate limiter, which partitions by the key found here.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IDbContextFactory<EvalsDbContext> dbFactory, string scope)
{
    public const string ItemKey = "evals.api_key";

    public async Task InvokeAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            await OpenAiError.Unauthorized("Missing API key: send 'Authorization: Bearer <key>' (keys come from `evals keys create`).").ExecuteAsync(context);
            return;
        }
        var hash = ApiKey.HashOf(header[7..].Trim());
        await using var db = await dbFactory.CreateDbContextAsync(context.RequestAborted);
        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Select(k => new { k.Id, k.Name, k.Scope, k.RequestsPerMinute })
            .FirstOrDefaultAsync(context.RequestAborted);
        if (key is null)
        {
            await OpenAiError.Unauthorized("Incorrect API key provided.").ExecuteAsync(context);
            return;
        }
        if (key.Scope != scope)
        {
            await OpenAiError.Unauthorized($"This key's scope is '{key.Scope}'; this API needs a '{scope}' key.").ExecuteAsync(context);
            return;
        }
        context.Items[ItemKey] = new AuthenticatedKey(key.Id, key.Name, key.RequestsPerMinute);
        await next(context);
    }
}
