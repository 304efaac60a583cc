using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.TestKit;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Evals.Web.Tests.Hosting;

/// <summary>
/// Issue 21, test 1: <c>/openapi/v1.json</c>, fetched over loopback, is a structurally valid OpenAPI 3 document (every
/// <c>$ref</c> resolves, every operation has responses, every path parameter is declared), and every <c>/api</c> and
/// <c>/v1</c> endpoint the app maps appears in it with the security requirement it has: the expected one per endpoint
/// is listed here, and the server is asked without credentials to show that a secured endpoint refuses (401) and an
/// anonymous one does not.
/// </summary>
[Collection(InProcessWebApp.Collection)]
public sealed partial class OpenApiDocumentTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private const string Anonymous = "anonymous";

    /// <summary>Every API endpoint and the key it needs. A new endpoint fails the test until it is listed here.</summary>
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["GET /api/runs"] = Anonymous,
        ["POST /api/runs"] = "admin_key",
        ["GET /api/runs/{id}"] = Anonymous,
        ["GET /api/runs/{id}/results"] = Anonymous,
        ["GET /api/runs/compare"] = Anonymous,
        ["POST /api/runs/{id}/cancel"] = "admin_key",
        ["POST /api/runs/{id}/retry"] = "admin_key",
        ["POST /api/runs/{id}/rescore"] = "admin_key",
        ["GET /api/leaderboard"] = Anonymous,
        ["POST /api/ab/experiments"] = "admin_key",
        ["GET /api/ab/experiments/{name}"] = Anonymous,
        ["POST /api/ab/assign"] = Anonymous,
        ["POST /api/feedback"] = "feedback_key",
        ["POST /api/otel/v1/traces"] = "feedback_key",
        ["GET /api/feedback/summary"] = Anonymous,
        ["GET /api/feedback/drift"] = Anonymous,
        ["GET /api/arena/visitor"] = Anonymous,
        ["POST /api/arena/battles"] = Anonymous,
        ["GET /api/arena/battles/{id}"] = Anonymous,
        ["POST /api/arena/battles/{id}/vote"] = Anonymous,
        ["POST /api/arena/battles/{id}/turns"] = Anonymous,
        ["GET /api/arena/battles/export"] = "admin_key",
        ["GET /api/arena/ratings"] = Anonymous,
        ["GET /api/arena/voters"] = "admin_key",
        ["POST /api/arena/voters/{voter}/exclude"] = "admin_key",
        ["GET /v1/models"] = "v1_key",
        ["GET /v1/models/{name}"] = "v1_key",
        ["POST /v1/chat/completions"] = "v1_key",
        ["POST /v1/completions"] = "v1_key",
    };

    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    [Fact]
    public async Task The_document_is_valid_OpenAPI_3_and_lists_every_api_endpoint_with_its_security()
    {
        await using var app = await InProcessWebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Runner:Enabled"] = "false" });
        var response = await app.Client.GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;

        AssertStructurallyValid(root);

        // The endpoints as the app maps them, independently of the document.
        var mapped = app.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/api/", StringComparison.Ordinal) || raw.StartsWith("/v1/", StringComparison.Ordinal) || raw == "/v1"))
            // /v1's catch-all answers unknown paths in OpenAI's shape; it is no operation.
            .Where(e => !e.RoutePattern.RawText!.Contains("{*", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {Normalise(e.RoutePattern.RawText!)}"))
            .ToHashSet();
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), mapped.Order(StringComparer.Ordinal));

        var documented = new Dictionary<string, string>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject().Where(o => Methods.Contains(o.Name)))
                documented[$"{operation.Name.ToUpperInvariant()} {Normalise(path.Name)}"] = SecurityOf(operation.Value);
        foreach (var (endpoint, security) in Expected)
        {
            Assert.True(documented.TryGetValue(endpoint, out var found), $"{endpoint} is not in the document");
            Assert.True(security == found, $"{endpoint}: the document says {found}, expected {security}");
        }
        Assert.Empty(documented.Keys.Except(Expected.Keys));

        // What the document says is what the server does: without credentials a secured endpoint is a 401, an anonymous one never.
        foreach (var (endpoint, security) in Expected)
        {
            var (method, path) = (endpoint[..endpoint.IndexOf(' ')], endpoint[(endpoint.IndexOf(' ') + 1)..]);
            var url = PathParameter().Replace(path, m => m.Value == "{id}" ? Guid.NewGuid().ToString() : "someone")[1..];
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (method == "POST") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            var status = (await app.Client.SendAsync(request)).StatusCode;
            if (security == Anonymous) Assert.True(status != HttpStatusCode.Unauthorized, $"{endpoint} refused an anonymous client with 401");
            else Assert.True(status == HttpStatusCode.Unauthorized, $"{endpoint} answered {(int)status} to a client without a key");
        }
    }

    private static string SecurityOf(JsonElement operation)
    {
        if (!operation.TryGetProperty("security", out var security) || security.GetArrayLength() == 0) return Anonymous;
        var schemes = security.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToList();
        // Admin endpoints take an admin key or the admin pages' session; anything else names one key.
        return schemes.SequenceEqual(["admin_key", "admin_session"]) ? "admin_key" : string.Join("+", schemes);
    }

    /// <summary>Route constraints and a trailing slash are no part of the path a client sees.</summary>
    private static string Normalise(string path)
    {
        var plain = RouteConstraint().Replace(path, "{$1}");
        return plain.Length > 1 ? plain.TrimEnd('/') : plain;
    }

    private static void AssertStructurallyValid(JsonElement root)
    {
        Assert.Matches(@"^3\.\d+\.\d+$", root.GetProperty("openapi").GetString());
        var info = root.GetProperty("info");
        Assert.False(string.IsNullOrEmpty(info.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(info.GetProperty("version").GetString()));
        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        foreach (var scheme in schemes.EnumerateObject())
        {
            var type = scheme.Value.GetProperty("type").GetString();
            Assert.Contains(type, new[] { "http", "apiKey", "oauth2", "openIdConnect", "mutualTLS" });
            if (type == "http") Assert.Equal("bearer", scheme.Value.GetProperty("scheme").GetString());
            if (type == "apiKey") Assert.Contains(scheme.Value.GetProperty("in").GetString(), new[] { "query", "header", "cookie" });
        }

        var paths = root.GetProperty("paths").EnumerateObject().ToList();
        Assert.NotEmpty(paths);
        var operationIds = new HashSet<string>();
        foreach (var path in paths)
        {
            Assert.StartsWith("/", path.Name);
            var templated = PathParameter().Matches(path.Name).Select(m => m.Value.Trim('{', '}')).ToHashSet();
            var operations = path.Value.EnumerateObject().Where(o => Methods.Contains(o.Name)).ToList();
            Assert.NotEmpty(operations);
            foreach (var operation in operations)
            {
                var where = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                var responses = operation.Value.GetProperty("responses").EnumerateObject().ToList();
                Assert.True(responses.Count > 0, $"{where} has no responses");
                foreach (var r in responses)
                {
                    Assert.Matches(@"^([1-5]\d\d|[1-5]XX|default)$", r.Name);
                    Assert.True(r.Value.TryGetProperty("description", out _) || r.Value.TryGetProperty("$ref", out _), $"{where} {r.Name}: no description");
                }
                if (operation.Value.TryGetProperty("operationId", out var id)) Assert.True(operationIds.Add(id.GetString()!), $"duplicate operationId {id}");
                var declared = operation.Value.TryGetProperty("parameters", out var parameters)
                    ? parameters.EnumerateArray().Where(p => p.TryGetProperty("in", out var @in) && @in.GetString() == "path").Select(p => p.GetProperty("name").GetString()!).ToHashSet()
                    : [];
                Assert.True(templated.SetEquals(declared), $"{where}: path parameters {string.Join(",", templated)} but declared {string.Join(",", declared)}");
                if (operation.Value.TryGetProperty("security", out var security))
                    foreach (var name in security.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)))
                        Assert.True(schemes.TryGetProperty(name, out _), $"{where}: security scheme '{name}' is not in components.securitySchemes");
            }
        }

        // Every reference points at something in this document.
        var refs = new List<string>();
        CollectRefs(root, refs);
        Assert.NotEmpty(refs);
        foreach (var reference in refs.Distinct())
        {
            Assert.StartsWith("#/", reference);
            var node = root;
            foreach (var segment in reference[2..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")))
                Assert.True(node.ValueKind == JsonValueKind.Object && node.TryGetProperty(segment, out node), $"$ref {reference} does not resolve");
        }
    }

    private static void CollectRefs(JsonElement element, List<string> refs)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    if (property.Name == "$ref" && property.Value.ValueKind == JsonValueKind.String) refs.Add(property.Value.GetString()!);
                    else CollectRefs(property.Value, refs);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) CollectRefs(item, refs);
                break;
        }
    }

    [GeneratedRegex(@"\{([^}:?*]+)[^}]*\}")]
    private static partial Regex RouteConstraint();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex PathParameter();
}
