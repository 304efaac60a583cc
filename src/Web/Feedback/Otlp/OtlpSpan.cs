namespace Evals.Web.Feedback.Otlp;

/// <summary>
/// One span of an OTLP <c>ExportTraceServiceRequest</c>, read from either encoding, with what the reader could not make
/// sense of in <see cref="Problems"/> (by OTLP field name) so the span is reported rather than the whole request refused.
/// Attribute values are <c>string</c>, <c>long</c>, <c>double</c>, <c>bool</c>, <c>byte[]</c>,
/// <c>IReadOnlyList&lt;object?&gt;</c> (arrayValue) or <c>IReadOnlyDictionary&lt;string, object?&gt;</c> (kvlistValue).
/// </summary>
public sealed record OtlpSpan(
    int Index,
    string Path,
    string? TraceId,
    string? SpanId,
    string Name,
    ulong StartTimeUnixNano,
    ulong EndTimeUnixNano,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<OtlpSpanEvent> Events,
    IReadOnlyDictionary<string, object?> Resource,
    IReadOnlyDictionary<string, string[]> Problems);

/// <summary>A span event (<c>gen_ai.user.message</c>, <c>gen_ai.choice</c>, …).</summary>
public sealed record OtlpSpanEvent(string Name, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>The request body could not be read at all (not JSON, truncated protobuf): a 400 naming <c>body</c>.</summary>
public sealed class OtlpFormatException(string message) : Exception(message);
