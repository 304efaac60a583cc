using System.Security.Cryptography;
using System.Text;

namespace Evals.Web.Arena;

/// <summary>
/// A random visitor id in an HttpOnly cookie, issued on the first response to a request that lacks one. Only its SHA-256
/// is stored (with each battle and vote); a vote is accepted only from the visitor hash that started the battle. The id
/// is read from the request alone, never handed to the request that minted it: a battle or a vote needs a cookie issued
/// on an earlier response, so a client that keeps no cookies gets no battles.
/// </summary>
public static class VisitorCookie
{
    public const string Name = "evals_visitor";

    public static IApplicationBuilder UseVisitorCookie(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        // Programs calling the API with a key (feedback, OTLP, /v1) are not arena visitors: no cookie for them.
        if (!IsWellFormed(http.Request.Cookies[Name]) && !http.Request.Headers.ContainsKey("Authorization")
            && !http.Request.Path.StartsWithSegments("/v1") && !http.Request.Path.StartsWithSegments("/healthz"))
        {
            var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            http.Response.Cookies.Append(Name, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                IsEssential = true,
                MaxAge = TimeSpan.FromDays(365),
                Secure = http.Request.IsHttps,
            });
        }
        await next(http);
    });

    /// <summary>The SHA-256 (hex) of the visitor id this request carries, or null when it carries none.</summary>
    public static string? HashOf(HttpContext? http)
    {
        var id = http?.Request.Cookies[Name];
        return IsWellFormed(id) ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id!))) : null;
    }

    private static bool IsWellFormed(string? id) => id is { Length: 43 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
