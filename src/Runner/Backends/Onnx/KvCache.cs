using Evals.Runner.Backends.Onnx.Native;

namespace Evals.Runner.Backends.Onnx;

/// <summary>
/// The key/value tensors of every layer after some number of positions, [batch, kv_heads, length, head_dim] each, in
/// whatever memory the session put them (host for CPU, device for CUDA). A step's presents become the next step's pasts as-is.
/// </summary>
internal sealed class KvCache : IDisposable
{
    public KvCache(OrtTensor[] tensors, int batch, int length)
    {
        Tensors = tensors;
        Batch = batch;
        Length = length;
    }

    /// <summary>Key and value per layer, interleaved: [k0, v0, k1, v1, …].</summary>
    public OrtTensor[] Tensors { get; }

    public int Batch { get; }

    public int Length { get; }

    public static KvCache Empty(OrtRuntime runtime, DecoderLayout layout, int batch)
    {
        var tensors = new OrtTensor[layout.Layers.Count * 2];
        for (var i = 0; i < tensors.Length; i++) tensors[i] = OrtTensor.Empty(runtime, layout.KvType, [batch, layout.KvHeads, 0, layout.HeadDim]);
        return new KvCache(tensors, batch, 0);
    }

    /// <summary>
    /// A batch-<paramref name="copies"/> cache repeating this batch-1 cache, so several continuations can share one context.
    /// Host memory only.
    /// </summary>
    public unsafe KvCache Repeat(OrtRuntime runtime, DecoderLayout layout, int copies)
    {
        if (Batch != 1) throw new InvalidOperationException("only a batch-1 cache can be repeated");
        var tensors = new OrtTensor[Tensors.Length];
        try
        {
            for (var i = 0; i < tensors.Length; i++)
            {
                var source = Tensors[i];
                tensors[i] = OrtTensor.Allocate(runtime, layout.KvType, [copies, layout.KvHeads, Length, layout.HeadDim]);
                var bytes = source.ElementCount() * OrtTensor.ElementSize(layout.KvType);
                if (bytes == 0) continue;
                var from = new ReadOnlySpan<byte>(source.Data(), checked((int)bytes));
                var to = (byte*)tensors[i].Data();
                for (var c = 0; c < copies; c++) from.CopyTo(new Span<byte>(to + c * bytes, (int)bytes));
            }
        }
        catch
        {
            foreach (var t in tensors) t?.Dispose();
            throw;
        }
        return new KvCache(tensors, copies, Length);
    }

    /// <summary>
    /// A new cache of <paramref name="length"/> positions whose row r takes positions [From, From + Count) of row Row of
    /// Source, right-aligned (so left-padded with zeros that the attention mask hides). Gathering rows, dropping finished
    /// rows, trimming leading columns no row uses and joining freshly prefilled prompts are all this one copy. Host memory only.
    /// </summary>
    public static unsafe KvCache Assemble(OrtRuntime runtime, DecoderLayout layout, IReadOnlyList<KvRowSource> rows, int length)
    {
        var layers = layout.Layers.Count * 2;
        var element = OrtTensor.ElementSize(layout.KvType);
        var rowBytes = (long)layout.HeadDim * element;
        var tensors = new OrtTensor[layers];
        try
        {
            for (var i = 0; i < layers; i++)
            {
                tensors[i] = OrtTensor.Allocate(runtime, layout.KvType, [rows.Count, layout.KvHeads, length, layout.HeadDim]);
                var to = (byte*)tensors[i].Data();
                for (var r = 0; r < rows.Count; r++)
                {
                    var (source, row, from, count) = rows[r];
                    if (count > length) throw new ArgumentException($"row {r}: {count} positions do not fit in {length}");
                    var sourceLength = source.Length;
                    var start = count == 0 ? null : (byte*)source.Tensors[i].Data();
                    for (var h = 0; h < layout.KvHeads; h++)
                    {
                        // Only the padding is cleared: on a machine short of memory bandwidth, clearing the whole
                        // tensor first made a rebuild cost a third more.
                        var dst = to + ((long)r * layout.KvHeads + h) * length * rowBytes;
                        new Span<byte>(dst, checked((int)((length - count) * rowBytes))).Clear();
                        if (count == 0) continue;
                        var src = start + (((long)row * layout.KvHeads + h) * sourceLength + from) * rowBytes;
                        Buffer.MemoryCopy(src, dst + (length - count) * rowBytes, count * rowBytes, count * rowBytes);
                    }
                }
            }
        }
        catch
        {
            foreach (var t in tensors) t?.Dispose();
            throw;
        }
        return new KvCache(tensors, rows.Count, length);
    }

    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}

/// <summary>Positions [From, From + Count) of one row of a cache, for <see cref="KvCache.Assemble"/>.</summary>
internal readonly record struct KvRowSource(KvCache Source, int Row, int From, int Count);
