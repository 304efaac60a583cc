using System.Buffers.Binary;
using System.Text;

namespace Evals.Web.Feedback.Otlp;

/// <summary>
/// Reads the protobuf encoding of <c>opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest</c> with a small
/// wire-format reader over the field numbers of opentelemetry-proto's <c>trace.proto</c>, <c>common.proto</c> and
/// <c>resource.proto</c> (no generated code: the proto package is not served here, and only these few messages are
/// needed). Unknown fields are skipped, as protobuf requires. A truncated or malformed message is an
/// <see cref="OtlpFormatException"/>.
/// </summary>
public static class OtlpProtobufReader
{
    public static List<OtlpSpan> Read(ReadOnlyMemory<byte> body)
    {
        var spans = new List<OtlpSpan>();
        var request = new Wire(body);
        var r = 0;
        while (request.Next() is { } field)
        {
            if (field.Number == 1) ResourceSpans(field.Message(), spans, r++);
            else field.Skip();
        }
        return spans;
    }

    private static void ResourceSpans(Wire message, List<OtlpSpan> spans, int r)
    {
        IReadOnlyDictionary<string, object?> resource = new Dictionary<string, object?>();
        var scopes = new List<Wire>();
        while (message.Next() is { } field)
        {
            switch (field.Number)
            {
                case 1:
                    var res = field.Message();
                    var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
                    while (res.Next() is { } f)
                        if (f.Number == 1) KeyValue(f.Message(), attributes);
                        else f.Skip();
                    resource = attributes;
                    break;
                case 2: scopes.Add(field.Message()); break;
                default: field.Skip(); break;
            }
        }
        // The resource may follow its spans on the wire; each span carries it, so spans are read once it is known.
        for (var s = 0; s < scopes.Count; s++)
        {
            var i = 0;
            while (scopes[s].Next() is { } field)
                if (field.Number == 2) spans.Add(Span(field.Message(), spans.Count, $"resourceSpans[{r}].scopeSpans[{s}].spans[{i++}]", resource));
                else field.Skip();
        }
    }

    private static OtlpSpan Span(Wire message, int index, string path, IReadOnlyDictionary<string, object?> resource)
    {
        string? traceId = null, spanId = null;
        var name = "";
        ulong start = 0, end = 0;
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        var events = new List<OtlpSpanEvent>();
        while (message.Next() is { } field)
        {
            switch (field.Number)
            {
                case 1: traceId = Convert.ToHexStringLower(field.Bytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(field.Bytes().Span); break;
                case 5: name = field.String(); break;
                case 7: start = field.Fixed64(); break;
                case 8: end = field.Fixed64(); break;
                case 9: KeyValue(field.Message(), attributes); break;
                case 11: events.Add(Event(field.Message())); break;
                default: field.Skip(); break;
            }
        }
        return new OtlpSpan(index, path, traceId, spanId, name, start, end, attributes, events, resource, new Dictionary<string, string[]>());
    }

    private static OtlpSpanEvent Event(Wire message)
    {
        var name = "";
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (message.Next() is { } field)
        {
            if (field.Number == 2) name = field.String();
            else if (field.Number == 3) KeyValue(field.Message(), attributes);
            else field.Skip();
        }
        return new OtlpSpanEvent(name, attributes);
    }

    private static void KeyValue(Wire message, Dictionary<string, object?> into)
    {
        string? key = null;
        object? value = null;
        while (message.Next() is { } field)
        {
            if (field.Number == 1) key = field.String();
            else if (field.Number == 2) value = AnyValue(field.Message());
            else field.Skip();
        }
        if (key is not null) into[key] = value;
    }

    private static object? AnyValue(Wire message)
    {
        object? value = null;
        while (message.Next() is { } field)
        {
            switch (field.Number)
            {
                case 1: value = field.String(); break;
                case 2: value = field.Varint() != 0; break;
                case 3: value = (long)field.Varint(); break;
                case 4: value = BitConverter.UInt64BitsToDouble(field.Fixed64()); break;
                case 5:
                    var array = field.Message();
                    var values = new List<object?>();
                    while (array.Next() is { } f)
                        if (f.Number == 1) values.Add(AnyValue(f.Message()));
                        else f.Skip();
                    value = values;
                    break;
                case 6:
                    var list = field.Message();
                    var pairs = new Dictionary<string, object?>(StringComparer.Ordinal);
                    while (list.Next() is { } f)
                        if (f.Number == 1) KeyValue(f.Message(), pairs);
                        else f.Skip();
                    value = pairs;
                    break;
                case 7: value = field.Bytes().ToArray(); break;
                default: field.Skip(); break;
            }
        }
        return value;
    }

    /// <summary>A cursor over one message's fields.</summary>
    private sealed class Wire(ReadOnlyMemory<byte> data)
    {
        private int _position;

        public Field? Next()
        {
            if (_position >= data.Length) return null;
            var tag = ReadVarint();
            var number = (int)(tag >> 3);
            if (number == 0) throw new OtlpFormatException($"protobuf: field number 0 at byte {_position}");
            return new Field(this, number, (int)(tag & 7));
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= data.Length) throw Truncated();
                var b = data.Span[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw new OtlpFormatException($"protobuf: a varint longer than 10 bytes at byte {_position}");
        }

        public ReadOnlyMemory<byte> Take(int length)
        {
            if (length < 0 || length > data.Length - _position) throw Truncated();
            var taken = data.Slice(_position, length);
            _position += length;
            return taken;
        }

        private OtlpFormatException Truncated() => new($"protobuf: the message ends inside a field (byte {_position} of {data.Length})");

        public readonly record struct Field(Wire Owner, int Number, int WireType)
        {
            public ulong Varint() => WireType == 0 ? Owner.ReadVarint() : throw Mismatch("a varint");
            public ulong Fixed64() => WireType == 1 ? BinaryPrimitives.ReadUInt64LittleEndian(Owner.Take(8).Span) : throw Mismatch("fixed64");
            public ReadOnlyMemory<byte> Bytes() => WireType == 2 ? Owner.Take((int)Math.Min(Owner.ReadVarint(), int.MaxValue)) : throw Mismatch("length-delimited");
            public Wire Message() => new(Bytes());

            public string String()
            {
                try
                {
                    return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes().Span);
                }
                catch (DecoderFallbackException)
                {
                    throw new OtlpFormatException($"protobuf: field {Number} is a string that is not valid UTF-8");
                }
            }

            public void Skip()
            {
                switch (WireType)
                {
                    case 0: Owner.ReadVarint(); break;
                    case 1: Owner.Take(8); break;
                    case 2: Bytes(); break;
                    case 5: Owner.Take(4); break;
                    default: throw new OtlpFormatException($"protobuf: field {Number} has wire type {WireType}, which OTLP does not use");
                }
            }

            private OtlpFormatException Mismatch(string expected) => new($"protobuf: field {Number} should be {expected} but has wire type {WireType}");
        }
    }
}
