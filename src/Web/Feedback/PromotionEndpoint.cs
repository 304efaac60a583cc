using System.Security.Claims;
using Evals.Web.Admin;
using Microsoft.AspNetCore.Mvc;

namespace Evals.Web.Feedback;

/// <summary>The admin traces page's form post: selected traces and their edited references into a regression suite.</summary>
public static class PromotionEndpoint
{
    public const string Path = "/admin/feedback/promote";

    public static IEndpointRouteBuilder MapFeedbackPromotion(this IEndpointRouteBuilder app)
    {
        // Binding IFormCollection makes the endpoint form-bound, so UseAntiforgery validates its token.
        app.MapPost(Path, async ([FromForm] IFormCollection form, RegressionPromotion promotion, HttpContext http, ILogger<RegressionPromotion> log, CancellationToken ct) =>
        {
            var selected = form["selected"].Select(v => long.TryParse(v, out var id) ? id : 0).ToList();
            var suite = form["suite"].ToString();
            try
            {
                if (selected.Contains(0)) throw new ArgumentException("selected: not a trace id");
                var result = await promotion.PromoteAsync(suite, selected.Select(id => new Promotion(id, form[$"reference-{id}"].ToString())).ToList(),
                    http.User.Identity?.Name ?? http.User.FindFirstValue(AdminAuth.KeyIdClaim) ?? "admin", ct);
                log.LogInformation("Promoted {Count} traces to regression suite {Suite} (version {Version}, {Items} items)", result.Promoted, result.Suite, result.Version, result.Items);
                return Results.Redirect($"/feedback/traces?promoted={result.Promoted}&suite={Uri.EscapeDataString(result.Suite)}&version={result.Version}&items={result.Items}");
            }
            catch (ArgumentException e)
            {
                return Results.Redirect($"/feedback/traces?error={Uri.EscapeDataString(e.Message)}&suite={Uri.EscapeDataString(suite)}");
            }
        }).RequireAuthorization(AdminAuth.Policy);
        return app;
    }
}
