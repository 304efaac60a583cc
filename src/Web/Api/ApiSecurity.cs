using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Evals.Web.Api;

/// <summary>Endpoint metadata naming the key an endpoint needs; the OpenAPI document's security requirements come from it.</summary>
public sealed record SecuredBy(string Scheme);

/// <summary>
/// The API's credentials as OpenAPI security schemes. Each is a bearer key from <c>evals keys create --scope …</c>; the
/// scope decides which endpoints it opens. Admin endpoints also take the admin pages' session cookie.
/// </summary>
public static class ApiSecurity
{
    public const string AdminKey = "admin_key";
    public const string AdminSession = "admin_session";
    public const string FeedbackKey = "feedback_key";
    public const string V1Key = "v1_key";

    /// <summary>Marks an endpoint (or a group) as needing <paramref name="scheme"/>, answering a refusal with problem details.</summary>
    public static TBuilder SecuredBy<TBuilder>(this TBuilder builder, string scheme) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new SecuredBy(scheme),
            new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(ProblemDetails), ["application/problem+json"]),
            new ProducesResponseTypeMetadata(StatusCodes.Status403Forbidden, typeof(ProblemDetails), ["application/problem+json"]));

    /// <summary>The /v1 group: a v1 key, refusals (any refused key, over-rate) in OpenAI's error shape.</summary>
    public static TBuilder SecuredByV1Key<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new SecuredBy(V1Key),
            new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(V1.OpenAiError), ["application/json"]),
            new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(V1.OpenAiError), ["application/json"]));
}
