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

    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
