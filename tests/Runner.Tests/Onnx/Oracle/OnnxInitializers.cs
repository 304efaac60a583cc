using System.Buffers.Binary;
using System.Text;

namespace Evals.Runner.Tests.Onnx.Oracle;

/// <summary>
/// The float initializers of an ONNX file, decoded here from the protobuf wire format (field numbers from onnx/onnx.proto:
/// ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto dims = 1, data_type = 2, float_data = 4, name = 8,
/// raw_data = 9) rather than through the writer's own code, so the oracle sees the weights exactly as ONNX Runtime loads them.
/// </summary>
internal sealed class OnnxInitializers
{
    private const int FloatType = 1;
    private readonly Dictionary<string, (long[] Dims, float[] Data)> _tensors;

    private OnnxInitializers(Dictionary<string, (long[] Dims, float[] Data)> tensors) => _tensors = tensors;

    public static OnnxInitializers Read(string onnxFile)
    {
        var tensors = new Dictionary<string, (long[] Dims, float[] Data)>();
        var model = File.ReadAllBytes(onnxFile);
        foreach (var (field, graph) in Messages(model))
        {
            if (field != 7) continue;
            foreach (var (graphField, tensor) in Messages(graph))
            {
                if (graphField != 5) continue;
                var (name, dims, data) = Tensor(tensor);
                if (data is not null) tensors[name] = (dims, data);
            }
        }
        return new OnnxInitializers(tensors);
    }

    /// <summary>The tensor's values, after checking that its shape is <paramref name="dims"/>.</summary>
    public float[] Get(string name, params long[] dims)
    {
        if (!_tensors.TryGetValue(name, out var t)) throw new KeyNotFoundException($"no float initializer named {name}");
        if (!t.Dims.SequenceEqual(dims)) throw new InvalidDataException($"{name} has shape [{string.Join(",", t.Dims)}], expected [{string.Join(",", dims)}]");
        return t.Data;
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    private static (string Name, long[] Dims, float[]? Data) Tensor(ReadOnlyMemory<byte> bytes)
    {
        var name = "";
        var dims = new List<long>();
        var type = 0L;
        float[]? raw = null;
        var floats = new List<float>();
        var span = bytes.Span;
        var pos = 0;
        while (pos < span.Length)
        {
            var key = ReadVarint(span, ref pos);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (field, wire)
            {
                case (1, 0): dims.Add((long)ReadVarint(span, ref pos)); break;
                case (1, 2):
                    var dimBytes = LengthDelimited(bytes, ref pos).Span;
                    for (var p = 0; p < dimBytes.Length;) dims.Add((long)ReadVarint(dimBytes, ref p));
                    break;
                case (2, 0): type = (long)ReadVarint(span, ref pos); break;
                case (4, 5):
                    floats.Add(BinaryPrimitives.ReadSingleLittleEndian(span.Slice(pos, 4)));
                    pos += 4;
                    break;
                case (4, 2):
                    var packed = LengthDelimited(bytes, ref pos).Span;
                    for (var p = 0; p < packed.Length; p += 4) floats.Add(BinaryPrimitives.ReadSingleLittleEndian(packed.Slice(p, 4)));
                    break;
                case (8, 2): name = Encoding.UTF8.GetString(LengthDelimited(bytes, ref pos).Span); break;
                case (9, 2):
                    var data = LengthDelimited(bytes, ref pos).Span;
                    raw = new float[data.Length / 4];
                    for (var i = 0; i < raw.Length; i++) raw[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(i * 4, 4));
                    break;
                default: Skip(bytes, wire, ref pos); break;
            }
        }
        return (name, dims.ToArray(), type == FloatType ? raw ?? floats.ToArray() : null);
    }

    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Body)> Messages(ReadOnlyMemory<byte> bytes)
    {
        var pos = 0;
        while (pos < bytes.Length)
        {
            var key = ReadVarint(bytes.Span, ref pos);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (wire == 2) yield return (field, LengthDelimited(bytes, ref pos));
            else Skip(bytes, wire, ref pos);
        }
    }

    private static ReadOnlyMemory<byte> LengthDelimited(ReadOnlyMemory<byte> bytes, ref int pos)
    {
        var length = (int)ReadVarint(bytes.Span, ref pos);
        var body = bytes.Slice(pos, length);
        pos += length;
        return body;
    }

    private static void Skip(ReadOnlyMemory<byte> bytes, int wire, ref int pos)
    {
        switch (wire)
        {
            case 0: ReadVarint(bytes.Span, ref pos); break;
            case 1: pos += 8; break;
            case 2: LengthDelimited(bytes, ref pos); break;
            case 5: pos += 4; break;
            default: throw new InvalidDataException($"protobuf wire type {wire} at byte {pos}");
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
