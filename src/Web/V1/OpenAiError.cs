using System.Text.Json.Serialization;

namespace Evals.Web.V1;

/// <summary>OpenAI's error body: <c>{"error": {"message", "type", "param", "code"}}</c>, which every OpenAI client parses.</summary>
public sealed record OpenAiError([property: JsonPropertyName("error")] OpenAiError.Body Error)
{
    public sealed record Body(
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("param")] string? Param,
        [property: JsonPropertyName("code")] string? Code);

    public static IResult Invalid(string param, string message) =>
        Result(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, null);

    public static IResult Unauthorized(string message) =>
        Result(StatusCodes.Status401Unauthorized, message, "invalid_request_error", null, "invalid_api_key");

    public static IResult UnknownModel(string model) =>
        Result(StatusCodes.Status404NotFound, $"The model '{model}' does not exist; GET /v1/models lists the served models.", "invalid_request_error", "model", "model_not_found");

    public static IResult Result(int status, string message, string type, string? param, string? code) =>
        TypedResults.Json(new OpenAiError(new Body(message, type, param, code)), statusCode: status);
}
