using System.Runtime.InteropServices;

namespace Evals.Runner.Backends.Onnx.Native;

/// <summary>
/// One SafeHandle per kind of native ORT object, so every object is released exactly once even when an exception or a
/// forgotten Dispose leaves it to the finalizer. <see cref="LiveCount"/> lets tests prove that nothing leaks.
/// </summary>
internal abstract class OrtHandle : SafeHandle
{
    private static long s_live;

    protected OrtHandle(NativeMethods api, nint value) : base(0, ownsHandle: true)
    {
        Api = api;
        SetHandle(value);
        if (value != 0) Interlocked.Increment(ref s_live);
    }

    /// <summary>How many ORT objects this process holds right now (all kinds together).</summary>
    public static long LiveCount => Interlocked.Read(ref s_live);

    protected NativeMethods Api { get; }

    public override bool IsInvalid => handle == 0;

    protected sealed override bool ReleaseHandle()
    {
        Release(handle);
        Interlocked.Decrement(ref s_live);
        return true;
    }

    protected abstract void Release(nint value);
}

internal sealed unsafe class OrtEnvHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseEnv(value);
}

internal sealed unsafe class OrtSessionOptionsHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseSessionOptions(value);
}

internal sealed unsafe class OrtSessionHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseSession(value);
}

internal sealed unsafe class OrtValueHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseValue(value);
}

internal sealed unsafe class OrtMemoryInfoHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseMemoryInfo(value);
}

internal sealed unsafe class OrtIoBindingHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseIoBinding(value);
}

internal sealed unsafe class OrtRunOptionsHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseRunOptions(value);
}

internal sealed unsafe class OrtTypeInfoHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseTypeInfo(value);
}

internal sealed unsafe class OrtTensorTypeAndShapeInfoHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseTensorTypeAndShapeInfo(value);
}

/// <summary>Only for allocators from <c>CreateAllocator</c>; the default allocator is a singleton and is never released.</summary>
internal sealed unsafe class OrtAllocatorHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseAllocator(value);
}

internal sealed unsafe class OrtCudaProviderOptionsHandle(NativeMethods api, nint value) : OrtHandle(api, value)
{
    protected override void Release(nint value) => Api.ReleaseCUDAProviderOptions(value);
}
