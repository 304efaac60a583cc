using System.Buffers.Binary;
using System.Text;

namespace Evals.Runner.Backends.Onnx.TinyModel;

/// <summary>
/// Just enough protobuf to write an ONNX ModelProto (field numbers from onnx/onnx.proto): varints, length-delimited
/// fields and fixed32 floats. Nested messages are written to their own buffer first so their length is known.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();

    public byte[] ToArray() => _buffer.ToArray();

    public void Varint(int field, long value)
    {
        Tag(field, 0);
        Raw((ulong)value);
    }

    public void Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        _buffer.Write(b);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Raw((ulong)value.Length);
        _buffer.Write(value);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Bytes(field, inner.ToArray());
    }

    public void PackedVarints(int field, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values) inner.Raw((ulong)v);
        Bytes(field, inner.ToArray());
    }

    private void Tag(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

    private void Raw(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }
}

/// <summary>
/// Builds an ONNX graph node by node and serializes it as a ModelProto (IR version 8, default opset 17).
/// Dimensions are either a number or a symbolic name.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    public const int Float = 1, UInt8 = 2, Int64 = 7, Bool = 9, Float16 = 10;

    /// <summary>ONNX Runtime's contrib operators (MatMulNBits), imported at version 1 when a node uses them.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    private readonly List<Action<ProtoWriter>> _nodes = [];
    private readonly List<Action<ProtoWriter>> _initializers = [];
    private readonly List<Action<ProtoWriter>> _inputs = [];
    private readonly List<Action<ProtoWriter>> _outputs = [];
    private readonly HashSet<string> _domains = [];
    private readonly string _prefix;
    private int _counter;

    public OnnxGraphBuilder(string prefix = "") => _prefix = prefix;

    /// <summary>A graph for an <c>If</c> branch: its generated names carry <paramref name="prefix"/>, so none shadows an outer one.</summary>
    public OnnxGraphBuilder Branch(string prefix) => new(_prefix + prefix);

    public string Input(string name, int elementType, params object[] dims)
    {
        _inputs.Add(w => ValueInfo(w, name, elementType, dims));
        return name;
    }

    public void Output(string name, int elementType, params object[] dims) => _outputs.Add(w => ValueInfo(w, name, elementType, dims));

    public string Initializer(string name, float[] data, params long[] dims)
    {
        var raw = new byte[data.Length * 4];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), data[i]);
        return RawInitializer(name, Float, raw, dims);
    }

    /// <summary>A float16 initializer: the values rounded to the nearest half, as an fp16 export stores its weights.</summary>
    public string HalfInitializer(string name, float[] data, params long[] dims)
    {
        var raw = new byte[data.Length * 2];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(raw.AsSpan(i * 2), (Half)data[i]);
        return RawInitializer(name, Float16, raw, dims);
    }

    public string ByteInitializer(string name, byte[] data, params long[] dims) => RawInitializer(name, UInt8, data, dims);

    public string Initializer(string name, long[] data, params long[] dims)
    {
        var raw = new byte[data.Length * 8];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), data[i]);
        return RawInitializer(name, Int64, raw, dims);
    }

    /// <summary>A one-dimensional int64 constant, for shapes, axes and slice bounds.</summary>
    public string Ints(params long[] values) => Initializer($"{_prefix}const_{_counter++}", values, values.Length);

    public string Scalar(float value) => Initializer($"{_prefix}const_{_counter++}", [value]);

    public string ScalarInt(long value) => Initializer($"{_prefix}const_{_counter++}", [value]);

    private string RawInitializer(string name, int type, byte[] raw, long[] dims)
    {
        _initializers.Add(w =>
        {
            foreach (var d in dims) w.Varint(1, d);
            w.Varint(2, type);
            w.String(8, name);
            w.Bytes(9, raw);
        });
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Op(string opType, string[] inputs, params (string Name, object Value)[] attributes) =>
        OpMulti(opType, inputs, 1, attributes)[0];

    public string[] OpMulti(string opType, string[] inputs, int outputCount, params (string Name, object Value)[] attributes)
    {
        var id = _counter++;
        var outputs = Enumerable.Range(0, outputCount).Select(i => $"{_prefix}{opType.ToLowerInvariant()}_{id}_{i}").ToArray();
        AddNode(opType, inputs, outputs, $"{_prefix}{opType}_{id}", attributes);
        return outputs;
    }

    /// <summary>Adds a node of another operator domain (e.g. <see cref="MicrosoftDomain"/>) with one output.</summary>
    public string DomainOp(string domain, string opType, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var id = _counter++;
        var output = $"{_prefix}{opType.ToLowerInvariant()}_{id}_0";
        _domains.Add(domain);
        AddNode(opType, inputs, [output], $"{_prefix}{opType}_{id}", attributes, domain);
        return output;
    }

    /// <summary>Adds a node whose output has a chosen name (graph outputs).</summary>
    public string OpNamed(string output, string opType, string[] inputs, params (string Name, object Value)[] attributes)
    {
        AddNode(opType, inputs, [output], $"{_prefix}{opType}_{_counter++}", attributes);
        return output;
    }

    private void AddNode(string opType, string[] inputs, string[] outputs, string name, (string Name, object Value)[] attributes, string? domain = null) =>
        _nodes.Add(w =>
        {
            foreach (var i in inputs) w.String(1, i);
            foreach (var o in outputs) w.String(2, o);
            w.String(3, name);
            w.String(4, opType);
            foreach (var (attrName, value) in attributes) w.Message(5, a => Attribute(a, attrName, value));
            if (domain is not null) w.String(7, domain);
        });

    private static void Attribute(ProtoWriter w, string name, object value)
    {
        w.String(1, name);
        switch (value)
        {
            case float f:
                w.Float(2, f);
                w.Varint(20, 1);
                break;
            case int or long:
                w.Varint(3, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                w.Varint(20, 2);
                break;
            case long[] ints:
                foreach (var i in ints) w.Varint(8, i);
                w.Varint(20, 7);
                break;
            case GraphAttribute graph:
                w.Message(6, g => graph.Graph.WriteGraph(g, graph.Name));
                w.Varint(20, 5);
                break;
            default:
                throw new ArgumentException($"unsupported attribute value {value.GetType()} for {name}");
        }
    }

    private static void ValueInfo(ProtoWriter w, string name, int elementType, object[] dims)
    {
        w.String(1, name);
        w.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Varint(1, elementType);
            tensor.Message(2, shape =>
            {
                foreach (var d in dims)
                {
                    shape.Message(1, dim =>
                    {
                        if (d is string param) dim.String(2, param);
                        else dim.Varint(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture));
                    });
                }
            });
        }));
    }

    private void WriteGraph(ProtoWriter graph, string graphName)
    {
        foreach (var n in _nodes) graph.Message(1, n);
        graph.String(2, graphName);
        foreach (var i in _initializers) graph.Message(5, i);
        foreach (var i in _inputs) graph.Message(11, i);
        foreach (var o in _outputs) graph.Message(12, o);
    }

    public byte[] ToModel(string graphName, int opset = 17)
    {
        var model = new ProtoWriter();
        model.Varint(1, 8);
        model.String(2, "evals onnx make-tiny");
        model.Message(7, graph => WriteGraph(graph, graphName));
        model.Message(8, op =>
        {
            op.String(1, "");
            op.Varint(2, opset);
        });
        foreach (var domain in _domains.Order(StringComparer.Ordinal))
        {
            model.Message(8, op =>
            {
                op.String(1, domain);
                op.Varint(2, 1);
            });
        }
        return model.ToArray();
    }
}

/// <summary>A graph-valued attribute (an <c>If</c> node's <c>then_branch</c> / <c>else_branch</c>).</summary>
internal sealed record GraphAttribute(OnnxGraphBuilder Graph, string Name);
