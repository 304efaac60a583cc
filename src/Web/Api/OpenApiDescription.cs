using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Evals.Web.Api;

/// <summary>
/// <c>/openapi/v1.json</c>: every <c>/api</c> endpoint and the OpenAI-compatible <c>/v1</c> subset, with schemas from the
/// handlers' types and <c>Produces</c> metadata, and each operation's security requirement read from its
/// <see cref="SecuredBy"/> metadata (none: anonymous).
/// </summary>
public static class OpenApiDescription
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddApiDescription(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, o =>
        {
            // Pages, sign-in forms, health and metrics are not an API for clients.
            o.ShouldInclude = d => d.RelativePath is { } path && (path.StartsWith("api/", StringComparison.Ordinal) || path == "api"
                || path.StartsWith("v1/", StringComparison.Ordinal));
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Evals API",
                    Version = "v1",
                    Description = "Runs, leaderboards, A/B experiments, feedback and the arena under /api (JSON in snake_case; a 400 is problem details "
                        + "whose 'errors' name every bad field), and the OpenAI-compatible /v1 subset (OpenAI's error shape). Reads are public; "
                        + "writes need a bearer key of the scope each operation's security names.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiSecurity.AdminKey] = Bearer("A key of scope admin (`evals keys create --scope admin`): starts, cancels, retries and re-scores runs, creates experiments, reviews arena voters.");
                document.Components.SecuritySchemes[ApiSecurity.AdminSession] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Cookie,
                    Name = "evals_admin",
                    Description = "The admin pages' session cookie (sign in at /admin/signin with an admin key); same rights as admin_key.",
                };
                document.Components.SecuritySchemes[ApiSecurity.FeedbackKey] = Bearer("A key of scope feedback (`evals keys create --scope feedback`): posts feedback events.");
                document.Components.SecuritySchemes[ApiSecurity.V1Key] = Bearer("A key of scope v1 (`evals keys create --scope v1`): the OpenAI-compatible API; refusals are 401 in OpenAI's error shape.");
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<SecuredBy>().LastOrDefault() is not { } secured) return Task.CompletedTask;
                operation.Security = [Requirement(secured.Scheme, context.Document)];
                if (secured.Scheme == ApiSecurity.AdminKey) operation.Security.Add(Requirement(ApiSecurity.AdminSession, context.Document));
                return Task.CompletedTask;
            });
        });

    private static OpenApiSecurityScheme Bearer(string description) =>
        new() { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = description };

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };
}
