using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Evals.Web.Feedback;
using Evals.Web.Feedback.Otlp;
using Evals.Web.V1;
using Microsoft.AspNetCore.Http.Features;

namespace Evals.Web.Api;

/// <summary>
/// <c>POST /api/otel/v1/traces</c>: an OTLP/HTTP trace receiver (an <c>ExportTraceServiceRequest</c> as
/// <c>application/x-protobuf</c> or <c>application/json</c>, optionally <c>Content-Encoding: gzip</c>) that stores the spans
/// following the GenAI semantic conventions as online traces (<see cref="OtlpTraceIngestion"/>). Same keys (scope
/// <c>feedback</c>), rate limit and body limit as <c>/api/feedback</c>. Answers: 200 with OTLP's <c>partialSuccess</c>
/// (<c>rejectedSpans</c>, <c>errorMessage</c>) when some span was rejected, in the request's encoding, and for JSON also
/// <c>{spans, accepted, duplicates, skipped, rejected[]}</c>, each rejected span by index and path with its fields; 400
/// problem details naming every bad field as <c>[index].field</c> when no span was stored and some was bad, or naming
/// <c>body</c> when the body cannot be read; 413; 415 another content type; 503 nothing stored (an exporter retries).
/// </summary>
public static class OtlpTracesApi
{
    public const string Path = "/api/otel/v1/traces";
    public const string Protobuf = "application/x-protobuf";
    public const string Json = "application/json";
    private const int MessageSpans = 10;

    public static IEndpointRouteBuilder MapOtlpTracesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, PostAsync).DisableAntiforgery().SecuredBy(ApiSecurity.FeedbackKey)
            .Accepts<JsonElement>(Json, Protobuf)
            .Produces(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> PostAsync(HttpContext http, OtlpTraceIngestion ingestion, FeedbackApiOptions options, CancellationToken ct)
    {
        var key = (AuthenticatedKey)http.Items[ApiKeyMiddleware.ItemKey]!;
        var mediaType = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var parsed) ? parsed.MediaType : null;
        var protobuf = string.Equals(mediaType, Protobuf, StringComparison.OrdinalIgnoreCase);
        if (!protobuf && !string.Equals(mediaType, Json, StringComparison.OrdinalIgnoreCase))
            return TypedResults.Problem($"send the ExportTraceServiceRequest as {Protobuf} or {Json} (got '{http.Request.ContentType}')",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type");
        var encoding = http.Request.Headers.ContentEncoding.ToString();
        var gzip = string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase);
        if (encoding.Length > 0 && !gzip && !string.Equals(encoding, "identity", StringComparison.OrdinalIgnoreCase))
            return TypedResults.Problem($"Content-Encoding '{encoding}' is not supported; send gzip or no encoding",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content encoding");
        if (http.Request.ContentLength > options.MaxBodyBytes) return TooLarge(options);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxBodyBytes;

        byte[] body;
        List<OtlpSpan> spans;
        try
        {
            body = await ReadAsync(gzip ? new GZipStream(http.Request.Body, CompressionMode.Decompress) : http.Request.Body, options.MaxBodyBytes, ct);
            if (protobuf) spans = OtlpProtobufReader.Read(body);
            else
            {
                using var document = JsonDocument.Parse(body);
                spans = OtlpJsonReader.Read(document.RootElement);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(options);
        }
        catch (Exception e) when (e is OtlpFormatException or JsonException or InvalidDataException)
        {
            var what = e is InvalidDataException ? "not valid gzip" : protobuf ? "not a valid protobuf ExportTraceServiceRequest" : "not a valid OTLP/JSON ExportTraceServiceRequest";
            return Invalid(new Dictionary<string, string[]> { ["body"] = [$"{what}: {e.Message}"] }, []);
        }

        TraceIngestionResult result;
        try
        {
            result = await ingestion.IngestAsync(spans, key.Id, ct);
        }
        catch (Exception e) when (e is FeedbackUnavailableException or FeedbackRefusedException)
        {
            return FeedbackApi.NotStored(http, e, "Traces not stored");
        }
        if (result.Rejected.Count > 0 && result.Accepted + result.Duplicates == 0)
            return Invalid(result.Rejected.SelectMany(r => r.Errors.Select(f => (Field: $"[{r.Index}]{(f.Key == "" ? "" : "." + f.Key)}", f.Value)))
                .ToDictionary(f => f.Field, f => f.Value), result.Rejected);

        var message = ErrorMessage(result);
        if (protobuf) return TypedResults.Bytes(ExportTraceServiceResponse(result.Rejected.Count, message), Protobuf);
        var answer = new Dictionary<string, object?>();
        // OTLP/JSON's own field names (a dictionary keeps them from the API's snake_case); int64 as a decimal string.
        if (result.Rejected.Count > 0)
            answer["partialSuccess"] = new Dictionary<string, string>
            {
                ["rejectedSpans"] = result.Rejected.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), ["errorMessage"] = message,
            };
        answer["spans"] = result.Spans;
        answer["accepted"] = result.Accepted;
        answer["duplicates"] = result.Duplicates;
        answer["skipped"] = result.Skipped;
        answer["rejected"] = result.Rejected;
        return TypedResults.Json(answer);
    }

    private static async Task<byte[]> ReadAsync(Stream body, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            // The limit holds for the decompressed body too: a small gzip body can expand a thousandfold.
            if (buffer.Length + read > limit) throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>OTLP's one-line summary of what was rejected (the first few spans; the JSON answer lists them all).</summary>
    private static string ErrorMessage(TraceIngestionResult result)
    {
        if (result.Rejected.Count == 0) return "";
        var text = new StringBuilder($"{result.Rejected.Count} of {result.Spans} spans rejected: ");
        text.AppendJoin("; ", result.Rejected.Take(MessageSpans).Select(r =>
            $"[{r.Index}] {string.Join(", ", r.Errors.Select(f => $"{(f.Key == "" ? "span" : f.Key)}: {string.Join(" ", f.Value)}"))}"));
        if (result.Rejected.Count > MessageSpans) text.Append($"; and {result.Rejected.Count - MessageSpans} more");
        return text.ToString();
    }

    /// <summary><c>ExportTraceServiceResponse</c>: field 1 <c>partial_success</c> {1 <c>rejected_spans</c>, 2 <c>error_message</c>}, empty when all were accepted.</summary>
    private static byte[] ExportTraceServiceResponse(int rejectedSpans, string errorMessage)
    {
        if (rejectedSpans == 0) return [];
        var partial = new List<byte> { 0x08 };
        Varint(partial, (ulong)rejectedSpans);
        var message = Encoding.UTF8.GetBytes(errorMessage);
        partial.Add(0x12);
        Varint(partial, (ulong)message.Length);
        partial.AddRange(message);
        var response = new List<byte> { 0x0A };
        Varint(response, (ulong)partial.Count);
        response.AddRange(partial);
        return response.ToArray();
    }

    private static void Varint(List<byte> into, ulong value)
    {
        while (value >= 0x80)
        {
            into.Add((byte)(value | 0x80));
            value >>= 7;
        }
        into.Add((byte)value);
    }

    private static IResult Invalid(Dictionary<string, string[]> errors, IReadOnlyList<RejectedSpan> rejected) =>
        TypedResults.ValidationProblem(errors, title: "No valid GenAI span in the request",
            extensions: new Dictionary<string, object?> { ["accepted"] = 0, ["duplicates"] = 0, ["rejected"] = rejected });

    private static IResult TooLarge(FeedbackApiOptions options) =>
        TypedResults.Problem($"the body (after decompression) is larger than {options.MaxBodyBytes} bytes; export smaller batches",
            statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large");
}
