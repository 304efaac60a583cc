using System.Runtime.InteropServices;

namespace Evals.Runner.Backends.Onnx.Native;

/// <summary>
/// An <c>OrtValue</c> holding a tensor. Over managed memory the array stays pinned until the value is released, because
/// <c>CreateTensorWithDataAsOrtValue</c> does not copy. Values that ORT allocated (outputs, allocator tensors) own their memory.
/// </summary>
internal sealed unsafe class OrtTensor : IDisposable
{
    private readonly OrtRuntime _runtime;
    private GCHandle _pin;
    private long[]? _shape;
    private TensorElementType? _elementType;

    private OrtTensor(OrtRuntime runtime, OrtValueHandle handle, GCHandle pin = default)
    {
        _runtime = runtime;
        Handle = handle;
        _pin = pin;
    }

    public OrtValueHandle Handle { get; }

    public nint Pointer => Handle.DangerousGetHandle();

    /// <summary>A tensor over <paramref name="data"/> without copying it; the array is pinned until disposal.</summary>
    public static OrtTensor FromArray<T>(OrtRuntime runtime, T[] data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        var count = ElementCount(shape);
        if (count > data.Length) throw new ArgumentException($"shape [{string.Join(',', shape.ToArray())}] needs {count} elements, the array has {data.Length}");
        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            var api = runtime.Api;
            nint value;
            fixed (long* s = shape)
            {
                api.Check(api.CreateTensorWithDataAsOrtValue(runtime.CpuMemory.DangerousGetHandle(), (void*)pin.AddrOfPinnedObject(),
                    (nuint)(count * sizeof(T)), s, (nuint)shape.Length, (int)ElementTypeOf<T>(), &value));
            }
            return new OrtTensor(runtime, new OrtValueHandle(api, value), pin);
        }
        catch
        {
            pin.Free();
            throw;
        }
    }

    /// <summary>A zero-element tensor (e.g. the empty past of a first decoding step); ORT accepts a null buffer for it.</summary>
    public static OrtTensor Empty(OrtRuntime runtime, TensorElementType type, ReadOnlySpan<long> shape)
    {
        if (ElementCount(shape) != 0) throw new ArgumentException("an empty tensor needs a zero dimension");
        var api = runtime.Api;
        nint value;
        fixed (long* s = shape)
        {
            api.Check(api.CreateTensorWithDataAsOrtValue(runtime.CpuMemory.DangerousGetHandle(), null, 0, s, (nuint)shape.Length, (int)type, &value));
        }
        return new OrtTensor(runtime, new OrtValueHandle(api, value));
    }

    /// <summary>A CPU tensor whose memory ORT owns (default allocator); write it through <see cref="Span{T}"/>.</summary>
    public static OrtTensor Allocate(OrtRuntime runtime, TensorElementType type, ReadOnlySpan<long> shape)
    {
        var api = runtime.Api;
        nint value;
        fixed (long* s = shape)
        {
            api.Check(api.CreateTensorAsOrtValue(runtime.DefaultAllocator, s, (nuint)shape.Length, (int)type, &value));
        }
        return new OrtTensor(runtime, new OrtValueHandle(api, value));
    }

    /// <summary>Takes ownership of a value ORT returned.</summary>
    public static OrtTensor Adopt(OrtRuntime runtime, nint value) => new(runtime, new OrtValueHandle(runtime.Api, value));

    public TensorElementType ElementType
    {
        get
        {
            if (_elementType is null) ReadTypeAndShape();
            return _elementType!.Value;
        }
    }

    public long[] Shape
    {
        get
        {
            if (_shape is null) ReadTypeAndShape();
            return _shape!;
        }
    }

    public long ElementCount() => ElementCount(Shape);

    /// <summary>The tensor's memory; only valid for tensors in CPU memory.</summary>
    public Span<T> Span<T>() where T : unmanaged
    {
        var api = _runtime.Api;
        void* data;
        api.Check(api.GetTensorMutableData(Pointer, &data));
        return new Span<T>(data, checked((int)ElementCount()));
    }

    /// <summary>The start of the tensor's memory; only valid for tensors in CPU memory.</summary>
    public void* Data()
    {
        var api = _runtime.Api;
        void* data;
        api.Check(api.GetTensorMutableData(Pointer, &data));
        return data;
    }

    public static int ElementSize(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 => 4,
        TensorElementType.Int64 => 8,
        TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.Bool or TensorElementType.UInt8 or TensorElementType.Int8 => 1,
        _ => throw new NotSupportedException($"element type {type}"),
    };

    /// <summary>Reads float32 or float16 data as float32.</summary>
    public void CopyTo(Span<float> destination, long offset, int count)
    {
        var api = _runtime.Api;
        void* data;
        api.Check(api.GetTensorMutableData(Pointer, &data));
        switch (ElementType)
        {
            case TensorElementType.Float:
                new ReadOnlySpan<float>((float*)data + offset, count).CopyTo(destination);
                break;
            case TensorElementType.Float16:
                var half = new ReadOnlySpan<Half>((Half*)data + offset, count);
                for (var i = 0; i < count; i++) destination[i] = (float)half[i];
                break;
            default:
                throw new NotSupportedException($"reading {ElementType} tensors as float is not supported");
        }
    }

    private void ReadTypeAndShape()
    {
        var api = _runtime.Api;
        nint info;
        api.Check(api.GetTensorTypeAndShape(Pointer, &info));
        using var owned = new OrtTensorTypeAndShapeInfoHandle(api, info);
        var (type, dims, _) = OrtSession.ReadTensorInfo(api, info);
        _elementType = (TensorElementType)type;
        _shape = dims;
    }

    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    public static TensorElementType ElementTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? TensorElementType.Float
        : typeof(T) == typeof(long) ? TensorElementType.Int64
        : typeof(T) == typeof(Half) ? TensorElementType.Float16
        : typeof(T) == typeof(int) ? TensorElementType.Int32
        : typeof(T) == typeof(bool) ? TensorElementType.Bool
        : typeof(T) == typeof(byte) ? TensorElementType.UInt8
        : throw new NotSupportedException($"no ONNX element type for {typeof(T)}");

    public void Dispose()
    {
        Handle.Dispose();
        if (_pin.IsAllocated) _pin.Free();
        GC.SuppressFinalize(this);
    }

    // A forgotten Dispose must not leave the array pinned forever; the SafeHandle releases the native value on its own.
    ~OrtTensor()
    {
        if (_pin.IsAllocated) _pin.Free();
    }
}
